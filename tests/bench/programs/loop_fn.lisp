# A 1,000,000-iteration while loop in a function called once.
(defn count-up [n]
  (var i 0)
  (var s 0)
  (while (< i n)
    (assign s (+ s (rem i 7)))
    (assign i (+ i 1)))
  s)
(println (count-up 1000000))
