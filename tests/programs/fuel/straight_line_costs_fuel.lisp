# Every executed instruction costs one unit, including straight-line code with no calls or
# backward jumps of its own (a deliberate difference from Elle).
(def f (fiber/new (fn [] (let [x (inc 1)] (+ x 1))) :fuel))
(fiber/set-fuel f 1)
(println (fiber/resume f))   # expect: nil
(println (fiber/status f))   # expect: paused
(fiber/set-fuel f 100)
(println (fiber/resume f))   # expect: 3
