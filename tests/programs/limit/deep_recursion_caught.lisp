# Non-tail recursion past the depth limit raises a catchable :stack-overflow;
# the program carries on afterwards.
(defn depth [n] (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(println (depth 5000))                   # expect: 5000
(def r (protect (depth 100000)))
(println (get r 0))                      # expect: false
(println (get (get r 1) :error))         # expect: stack-overflow
(println (depth 5000))                   # expect: 5000
(def f (fiber/new (fn [] (depth 1000000)) :error))
(println (get (fiber/resume f) :error))  # expect: stack-overflow
(println "still running")                # expect: still running
