# An uncaught :state-error ends the program.
(def f (fiber/new (fn [] 1) 0))
(println (fiber/resume f))   # expect: 1
(fiber/resume f)
(println "not reached")
# expect error: :state-error
