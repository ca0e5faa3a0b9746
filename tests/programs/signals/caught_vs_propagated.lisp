# Caught: the emitting fiber's mask has the bit, so its resumer gets the payload.
(def caught (fiber/new (fn [] (yield :hello) :end) :yield))
(println (fiber/resume caught))   # expect: hello
(println (fiber/status caught))   # expect: paused
# Propagated: inner's mask is 0, so its yield pauses inner *and* outer; outer's mask catches it.
(def inner (fiber/new (fn [] (+ 100 (yield :from-inner))) 0))
(def outer (fiber/new (fn [] (+ 1000 (fiber/resume inner))) :yield))
(println (fiber/resume outer))    # expect: from-inner
(println (fiber/status inner))    # expect: paused
(println (fiber/status outer))    # expect: paused
(println (fiber/bits inner))      # expect: 2
# Resuming outer resumes inner first: 5 becomes the value of inner's yield.
(println (fiber/resume outer 5))  # expect: 1105
(println (fiber/status inner))    # expect: dead
(println (fiber/status outer))    # expect: dead
