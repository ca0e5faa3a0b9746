# 1,000,000-deep self tail recursion runs in constant space.
(defn sum-below [i n acc]
  (if (= i n) acc (sum-below (+ i 1) n (+ acc i))))
(println (sum-below 0 1000000 0))   # expect: 499999500000
