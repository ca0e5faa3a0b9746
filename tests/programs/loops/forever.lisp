# forever loops until something breaks out of an enclosing block.
(var n 0)
(def result
  (block :loop
    (forever
      (assign n (+ n 1))
      (when (>= n 10) (break :loop (* n n))))))
(println result)   # expect: 100
(println n)        # expect: 10
