# (def [a b] v) destructures.
(def [a b] [1 2])
(println (+ a b))      # expect: 3
(def [x _ z] [10 20 30])
(println (+ x z))      # expect: 40
(def [q [r s]] [1 [2 3]])
(println (+ q r s))    # expect: 6
