# Tail calls to closures passed as arguments also reuse the frame.
(defn loop-with [step i acc]
  (if (= i 0) acc (step step (- i 1) (+ acc 2))))
(defn step-fn [self i acc] (loop-with self i acc))
(println (loop-with step-fn 50000 0))   # expect: 100000
