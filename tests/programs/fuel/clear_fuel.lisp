# fiber/clear-fuel removes the limit: fuel reads nil and the fiber runs to the end.
(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)
(def f (fiber/new (fn [] (spin 1000)) :fuel))
(fiber/set-fuel f 5)
(println (fiber/resume f))    # expect: nil
(println (fiber/status f))    # expect: paused
(fiber/clear-fuel f)
(println (fiber/fuel f))      # expect: nil
(println (fiber/resume f))    # expect: 1000
(println (fiber/status f))    # expect: dead
