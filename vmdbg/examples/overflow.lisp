# overflow.lisp: deep non-tail recursion overflows, and protect catches it.
#
# Non-tail call depth is limited (10,000 frames per fiber by default, configurable).
# Going past the limit raises an ordinary, catchable error of kind :stack-overflow
# instead of crashing the VM, and the program carries on afterwards.
#
# Output:
# expect: depth 5000 is fine: 5000
# expect: caught: stack-overflow
# expect: in a fiber of its own: stack-overflow
# expect: still running: 5000

(defn count-down [n] (if (= n 0) 0 (+ 1 (count-down (- n 1)))))

# No base case: every call waits for the next one, so the frames pile up.
(defn bottomless [n] (+ 1 (bottomless (+ n 1))))

(println (string "depth 5000 is fine: " (count-down 5000)))

(let [[ok? err] (protect (bottomless 0))]
  (assert (not ok?) "the overflow is an error")
  (println (string "caught: " (get err :error))))

(def f (fiber/new (fn [] (bottomless 0)) :error))
(println (string "in a fiber of its own: " (get (fiber/resume f) :error)))

(println (string "still running: " (count-down 5000)))
