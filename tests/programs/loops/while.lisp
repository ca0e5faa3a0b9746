# while loops; (break) leaves the innermost while (an implicit block named :while).
(var i 0)
(var sum 0)
(while (< i 5)
  (assign sum (+ sum i))
  (assign i (+ i 1)))
(println sum)    # expect: 10
(var j 0)
(while true
  (assign j (+ j 1))
  (when (= j 3) (break)))
(println j)      # expect: 3
(var a 0)
(var hits 0)
(while (< a 3)
  (let [@b 0]
    (while true
      (assign b (+ b 1))
      (assign hits (+ hits 1))
      (when (= b 2) (break))))
  (assign a (+ a 1)))
(println hits)   # expect: 6
