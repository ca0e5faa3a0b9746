# A fiber out of fuel emits :fuel (payload nil) and reads fuel 0; after refuelling it finishes.
(defn work []
  (var total 0)
  (var i 1)
  (while (<= i 200)
    (assign total (+ total i))
    (assign i (+ i 1)))
  total)
(def f (fiber/new work :fuel))
(println (fiber/fuel f))        # expect: nil
(fiber/set-fuel f 10)
(println (fiber/fuel f))        # expect: 10
(println (fiber/resume f))      # expect: nil
(println (fiber/status f))      # expect: paused
(println (fiber/fuel f))        # expect: 0
(println (fiber/bits f))        # expect: 4096
(println (fiber/value f))       # expect: nil
(fiber/set-fuel f 1000000)
(println (fiber/resume f))      # expect: 20100
(println (fiber/status f))      # expect: dead
(println (fiber/bits f))        # expect: 0
(println (> (fiber/fuel f) 0))  # expect: true
