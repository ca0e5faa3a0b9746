# Start-up: a one-line function called 20 times (compiled at the default threshold).
(defn inc1 [x] (+ x 1))
(var s 0)
(var i 0)
(while (< i 20)
  (assign s (inc1 s))
  (assign i (+ i 1)))
(println s)
