# Unbounded non-tail recursion that nothing catches ends the program with :stack-overflow.
(defn forever-down [n] (+ 1 (forever-down (+ n 1))))
(println "start")   # expect: start
(forever-down 0)
# expect error: :stack-overflow
