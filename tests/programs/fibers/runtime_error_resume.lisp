# A fiber stopped by an error the VM raised (a type error inside a call), caught by its
# mask, is :paused but cannot be resumed: there is no emit for the value to become, so the
# resume is a :state-error in the caller and the fiber is unchanged. (Found by the long fuzz.)
(def f (fiber/new (fn [] (+ (each x 0 x) 0)) :error))
(println (get (fiber/resume f) :error))    # expect: type-error
(println (fiber/status f))                 # expect: paused
(def r (protect (fiber/resume f 1)))
(println (get r 0))                        # expect: false
(println (get (get r 1) :error))           # expect: state-error
(println (fiber/status f))                 # expect: paused
