# An error in a nested fiber that no mask catches ends the program.
(def inner (fiber/new (fn [] (+ 1 :not-a-number)) 0))
(def outer (fiber/new (fn [] (fiber/resume inner)) :yield))
(println "starting")   # expect: starting
(fiber/resume outer)
(println "not reached")
# expect error: :type-error
