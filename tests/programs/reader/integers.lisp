# Integer literals: sign, decimal, 0x/0o/0b prefixes, `_` between digits, any size.
(println 42)          # expect: 42
(println -17)         # expect: -17
(println +5)          # expect: 5
(println 0xff)        # expect: 255
(println 0o17)        # expect: 15
(println 0b1011)      # expect: 11
(println -0x10)       # expect: -16
(println 1_000_000)   # expect: 1000000
(println 0b1111_0000) # expect: 240
(println 123456789012345678901234567890)  # expect: 123456789012345678901234567890
(println (int? 0x10)) # expect: true
