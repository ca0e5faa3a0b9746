# With fuel 0 a new fiber pauses before its first instruction; refuelled, it runs normally.
(def f (fiber/new (fn [] (+ 40 2)) :fuel))
(fiber/set-fuel f 0)
(println (fiber/resume f))   # expect: nil
(println (fiber/fuel f))     # expect: 0
(fiber/set-fuel f 100)
(println (fiber/resume f))   # expect: 42
