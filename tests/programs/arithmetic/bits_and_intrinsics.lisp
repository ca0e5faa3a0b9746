# bit/* primitives and the % intrinsics that compile straight to opcodes.
(println (bit/and 12 10))          # expect: 8
(println (bit/or 12 10))           # expect: 14
(println (bit/xor 12 10))          # expect: 6
(println (bit/shl 3 4))            # expect: 48
(println (bit/shr 256 4))          # expect: 16
(println (%add 2 3))               # expect: 5
(println (%sub 2 3))               # expect: -1
(println (%mul 4 5))               # expect: 20
(println (%div 9 2))               # expect: 4
(println (%rem 9 2))               # expect: 1
(println (%eq 2 2))                # expect: true
(println (%lt 1 2))                # expect: true
(println (%gt 1 2))                # expect: false
(println (%le 2 2))                # expect: true
(println (%ge 1 2))                # expect: false
(println (%not nil))               # expect: true
(println (%first (list 7 8)))      # expect: 7
(println (%rest (list 7 8)))       # expect: (8)
(println (%pair 1 (list 2)))       # expect: (1 2)
