# A user signal passes through fibers that do not catch it until an outer mask does.
(signal :log)
(def leaf (fiber/new (fn [] (emit :log "from leaf") :leaf-done) :yield))
(def middle (fiber/new (fn [] (fiber/resume leaf)) :error))
(def top (fiber/new (fn [] (fiber/resume middle)) :log))
(println (fiber/resume top))     # expect: from leaf
(println (fiber/status leaf))    # expect: paused
(println (fiber/status middle))  # expect: paused
(println (fiber/resume top))     # expect: leaf-done
