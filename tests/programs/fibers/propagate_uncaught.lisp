# A propagated error that nothing catches ends the program with its kind.
(def g (fiber/new (fn [] (/ 1 0)) :error))
(println (get (fiber/resume g) :error))   # expect: division-by-zero
(fiber/propagate g)
(println "not reached")
# expect error: :division-by-zero
