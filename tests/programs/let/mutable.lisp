# `@x` in a let makes the binding mutable.
(println (let [@n 1] (assign n (+ n 10)) n))   # expect: 11
(let [@total 0 step 5]
  (assign total (+ total step))
  (assign total (+ total step))
  (println total))                             # expect: 10
