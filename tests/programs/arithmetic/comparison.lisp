# Chained comparisons on numbers, strings and keywords; = is numeric-aware.
(println (< 1 2 3))            # expect: true
(println (< 1 3 2))            # expect: false
(println (<= 1 1 2))           # expect: true
(println (> 3 2 1))            # expect: true
(println (>= 3 3 4))           # expect: false
(println (< 1 1.5))            # expect: true
(println (< "apple" "banana")) # expect: true
(println (> "b" "a"))          # expect: true
(println (< :a :b))            # expect: true
(println (= 1 1.0))            # expect: true
(println (not= 1 2))           # expect: true
(println (not= 2 2.0))         # expect: false
(println (not nil))            # expect: true
(println (not 0))              # expect: false
