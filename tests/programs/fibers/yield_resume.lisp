# A caught yield pauses the fiber; a later resume value becomes the value of the yield.
(def f (fiber/new (fn []
                    (let [a (yield 1)
                          b (yield (+ a 10))]
                      (+ a b)))
                  :yield))
(println (fiber/resume f))     # expect: 1
(println (fiber/status f))     # expect: paused
(println (fiber/bits f))       # expect: 2
(println (fiber/value f))      # expect: 1
(println (fiber/resume f 5))   # expect: 15
(println (fiber/resume f 7))   # expect: 12
(println (fiber/status f))     # expect: dead
(println (fiber/bits f))       # expect: 0
(println (fiber/value f))      # expect: 12
