# fiber/propagate re-raises a caught error of a fiber from the current one.
(def f (fiber/new (fn [] (error :inner-failure)) :error))
(println (fiber/resume f))                  # expect: inner-failure
(println (protect (fiber/propagate f)))     # expect: [false inner-failure]
(def g (fiber/new (fn [] (/ 1 0)) :error))
(fiber/resume g)
(def r (protect (fiber/propagate g)))
(println (get (get r 1) :error))            # expect: division-by-zero
