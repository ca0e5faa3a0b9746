# Resuming the outermost fiber of a paused chain delivers the value to the innermost emit.
(def a (fiber/new (fn [] (* 2 (yield :need-a-number))) 0))
(def b (fiber/new (fn [] (+ 1 (fiber/resume a))) 0))
(def c (fiber/new (fn [] (+ 10 (fiber/resume b))) :yield))
(println (fiber/resume c))     # expect: need-a-number
(println (fiber/resume c 100)) # expect: 211
(println (fiber/status a))     # expect: dead
(println (fiber/status b))     # expect: dead
(println (fiber/status c))     # expect: dead
