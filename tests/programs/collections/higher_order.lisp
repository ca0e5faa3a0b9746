# map, filter, fold, apply, range.
(println (map (fn [x] (* x x)) (list 1 2 3)))       # expect: (1 4 9)
(println (filter (fn [x] (> x 1)) (list 1 2 3)))    # expect: (2 3)
(println (fold + 0 (list 1 2 3 4)))                 # expect: 10
(println (fold max 0 [3 9 2]))                      # expect: 9
(println (fold + 0 (map inc [1 2 3])))              # expect: 9
(println (apply + 1 2 (list 3 4)))                  # expect: 10
(println (apply max (list 5 1 7)))                  # expect: 7
(println (fold + 0 (range 5)))                      # expect: 10
(println (length (range 2 6)))                      # expect: 4
(println (fold + 0 (range 0 10 2)))                 # expect: 20
