# fiber/cancel moves a :new or :paused fiber to :error with the given value and returns it.
(def f (fiber/new (fn [] (yield 1) 2) :yield))
(println (fiber/resume f))         # expect: 1
(println (fiber/cancel f :stopped)) # expect: stopped
(println (fiber/status f))         # expect: error
(println (fiber/value f))          # expect: stopped
(def g (fiber/new (fn [] (println "never runs")) 0))
(println (fiber/cancel g 99))      # expect: 99
(println (fiber/status g))         # expect: error
