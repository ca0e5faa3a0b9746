# A fiber stopped by (emit :error v) in its own body may be resumed, caught or not;
# the resume value becomes the value of that emit.
(def f (fiber/new (fn [] (+ 1 (error 10))) :error))
(println (fiber/resume f))      # expect: 10
(println (fiber/status f))      # expect: paused
(println (fiber/bits f))        # expect: 1
(println (fiber/resume f 5))    # expect: 6
(println (fiber/status f))      # expect: dead
(def g (fiber/new (fn [] (* 2 (error :bad))) 0))
(def r (protect (fiber/resume g)))
(println r)                     # expect: [false bad]
(println (fiber/status g))      # expect: error
(println (fiber/resume g 21))   # expect: 42
(println (fiber/status g))      # expect: dead
