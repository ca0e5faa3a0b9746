# A 10,000,000-iteration while loop at top level.
(var i 0)
(var s 0)
(while (< i 10000000)
  (assign s (+ s (rem i 7)))
  (assign i (+ i 1)))
(println s)
