# One function called 20 times, 1,000 iterations of a while loop each.
(defn work [n]
  (var i 0)
  (var s 0)
  (while (< i n)
    (assign s (+ s i))
    (assign i (+ i 1)))
  s)
(var total 0)
(var k 0)
(while (< k 20)
  (assign total (+ total (work 1000)))
  (assign k (+ k 1)))
(println total)
