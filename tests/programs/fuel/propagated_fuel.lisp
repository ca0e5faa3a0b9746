# :fuel is a signal like any other: an inner fiber whose mask lacks it pauses itself and its
# parent; resuming the parent after refuelling the inner fiber continues the inner one first.
(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)
(def inner (fiber/new (fn [] (spin 500)) 0))
(def outer (fiber/new (fn [] (+ 1 (fiber/resume inner))) :fuel))
(fiber/set-fuel inner 20)
(println (fiber/resume outer))    # expect: nil
(println (fiber/status inner))    # expect: paused
(println (fiber/status outer))    # expect: paused
(println (fiber/fuel inner))      # expect: 0
(println (fiber/bits inner))      # expect: 4096
(fiber/set-fuel inner 1000000)
(println (fiber/resume outer))    # expect: 501
(println (fiber/status inner))    # expect: dead
