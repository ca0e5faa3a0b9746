# Each closure gets its own captured mutable binding.
(defn make-counter []
  (var n 0)
  (fn [] (assign n (+ n 1)) n))
(def c1 (make-counter))
(def c2 (make-counter))
(c1)
(c1)
(println (c1))   # expect: 3
(println (c2))   # expect: 1
(println (c1))   # expect: 4
