# Lists: list, pair, first, rest, length, reverse, append, last.
(println (list 1 2 3))                   # expect: (1 2 3)
(println (pair 0 (list 1 2)))            # expect: (0 1 2)
(println (first (list 1 2)))             # expect: 1
(println (rest (list 1 2)))              # expect: (2)
(println (rest (list 1)))                # expect: ()
(println (length (list 1 2 3)))          # expect: 3
(println (reverse (list 1 2 3)))         # expect: (3 2 1)
(println (append (list 1) (list 2 3)))   # expect: (1 2 3)
(println (last (list 1 2 3)))            # expect: 3
(println (pair? (list 1)))               # expect: true
(println (pair? ()))                     # expect: false
(println (empty? ()))                    # expect: true
(println (nil? ()))                      # expect: false
