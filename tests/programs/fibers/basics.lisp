# fiber/new, fiber?, status :new -> :dead, fiber/value, fiber/bits after a return.
(def f (fiber/new (fn [] 42) 0))
(println (fiber? f))           # expect: true
(println (fiber? 42))          # expect: false
(println (fiber/status f))     # expect: new
(println (fiber/resume f))     # expect: 42
(println (fiber/status f))     # expect: dead
(println (fiber/value f))      # expect: 42
(println (fiber/bits f))       # expect: 0
# A function that takes a parameter receives the first resume value.
(def g (fiber/new (fn [x] (* x 2)) 0))
(println (fiber/resume g 21))  # expect: 42
