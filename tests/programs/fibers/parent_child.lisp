# fiber/parent is the fiber that last resumed it; fiber/child is the fiber it is resuming.
(def inner (fiber/new (fn [] (yield :ping) :done) 0))
(def outer (fiber/new (fn [] (fiber/resume inner)) :yield))
(println (fiber/resume outer))                         # expect: ping
(println (identical? (fiber/parent inner) outer))      # expect: true
(println (identical? (fiber/child outer) inner))       # expect: true
(println (fiber/resume outer))                         # expect: done
(println (fiber/status inner))                         # expect: dead
