# Integer `/` truncates toward zero; mixing in a float gives a float.
(println (/ 7 2))        # expect: 3
(println (/ -7 2))       # expect: -3
(println (/ 7 -2))       # expect: -3
(println (/ 6 3))        # expect: 2
(println (/ 7 2.0))      # expect: 3.5
(println (/ 100 5 2))    # expect: 10
(println (/ 4.0))        # expect: 0.25
(println (rem 7 3))      # expect: 1
(println (rem -7 3))     # expect: -1
(println (mod 7 3))      # expect: 1
(println (mod -7 3))     # expect: 2
