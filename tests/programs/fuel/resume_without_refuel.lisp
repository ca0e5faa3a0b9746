# Resuming a fiber still at fuel 0 pauses it again at once, with no progress made.
(var steps 0)
(def f (fiber/new (fn [] (while true (assign steps (+ steps 1)))) :fuel))
(fiber/set-fuel f 50)
(println (fiber/resume f))          # expect: nil
(def seen steps)
(println (> seen 0))                # expect: true
(println (fiber/resume f))          # expect: nil
(println (fiber/status f))          # expect: paused
(println (fiber/fuel f))            # expect: 0
(println (= steps seen))            # expect: true
(fiber/set-fuel f 50)
(fiber/resume f)
(println (> steps seen))            # expect: true
