# String building: 200,000 pieces pushed onto an @array, then string/join.
(def parts (@array))
(var i 0)
(while (< i 200000)
  (push parts (string i))
  (assign i (+ i 1)))
(def s (string/join parts ","))
(println (length s))
