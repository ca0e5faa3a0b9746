# let allows patterns; `_` ignores a position.
(println (let [[a b] [3 4]] (* a b)))               # expect: 12
(println (let [[_ second] [1 2]] second))           # expect: 2
(println (let [[x [y z]] [1 [2 3]]] (+ x y z)))     # expect: 6
(let [[ok? v] (protect (/ 10 2))]
  (println ok?)                                     # expect: true
  (println v))                                      # expect: 5
(let [[ok? e] (protect (/ 1 0))]
  (println ok?)                                     # expect: false
  (println (get e :error)))                         # expect: division-by-zero
