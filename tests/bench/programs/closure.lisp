# A closure counter called 1,000,000 times.
(defn make-counter []
  (var n 0)
  (fn [] (assign n (+ n 1)) n))
(def counter (make-counter))
(var i 0)
(while (< i 1000000)
  (counter)
  (assign i (+ i 1)))
(println (counter))
