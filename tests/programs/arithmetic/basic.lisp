# Variadic + - *, negation, int/float promotion, inc/dec/abs/min/max.
(println (+ 1 2 3))      # expect: 6
(println (- 10 4 1))     # expect: 5
(println (- 5))          # expect: -5
(println (* 2 3 4))      # expect: 24
(println (+ 1 2.5))      # expect: 3.5
(println (* 2 1.5))      # expect: 3.0
(println (+ 0.5 0.5))    # expect: 1.0
(println (inc 41))       # expect: 42
(println (dec 0))        # expect: -1
(println (abs -7))       # expect: 7
(println (min 4 2 8))    # expect: 2
(println (max 4 2 8))    # expect: 8
(println (int 3.9))      # expect: 3
(println (float 2))      # expect: 2.0
