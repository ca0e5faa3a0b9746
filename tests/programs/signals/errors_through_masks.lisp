# An error in a fiber whose mask lacks :error makes it :error and is re-raised in its parent.
(def f (fiber/new (fn [] (/ 1 0)) :yield))
(def r (protect (fiber/resume f)))
(println (get r 0))                 # expect: false
(println (get (get r 1) :error))    # expect: division-by-zero
(println (fiber/status f))          # expect: error
# Through two fibers, neither catching errors.
(def inner (fiber/new (fn [] (error :deep)) 0))
(def middle (fiber/new (fn [] (fiber/resume inner) :unreached) :yield))
(println (protect (fiber/resume middle)))  # expect: [false deep]
(println (fiber/status inner))      # expect: error
(println (fiber/status middle))     # expect: error
# The middle fiber's mask catches the error re-raised from its child.
(def inner2 (fiber/new (fn [] (error :caught-here)) 0))
(def middle2 (fiber/new (fn [] (fiber/resume inner2) :unreached) :error))
(println (fiber/resume middle2))    # expect: caught-here
(println (fiber/status inner2))     # expect: error
(println (fiber/status middle2))    # expect: paused
