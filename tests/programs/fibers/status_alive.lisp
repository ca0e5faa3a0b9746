# A running fiber reports :alive.
(def f (fiber/new (fn [] (fiber/status f)) 0))
(println (fiber/resume f))   # expect: alive
(println (fiber/status f))   # expect: dead
