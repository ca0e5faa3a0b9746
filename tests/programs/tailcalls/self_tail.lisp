# A self tail call reuses the frame: 100,000 iterations, far past the 10,000 depth limit.
(defn count-up [i n acc]
  (if (= i n) acc (count-up (+ i 1) n (+ acc i))))
(println (count-up 0 100000 0))   # expect: 4999950000
