# emit with a literal keyword or set of keywords, and the emit primitive for other arguments.
(signal :note)
(def f (fiber/new (fn [] (emit |:yield :note| :both) :end) :yield))
(println (fiber/resume f))   # expect: both
(println (fiber/bits f))     # expect: 4294967298
(def sig :yield)
(def g (fiber/new (fn []
                    (emit sig :via-primitive)
                    (emit 2 :int-bits)
                    (emit (bit/shl 1 32) :user-bits)
                    :end)
                  |:yield :note|))
(println (fiber/resume g))   # expect: via-primitive
(println (fiber/bits g))     # expect: 2
(println (fiber/resume g))   # expect: int-bits
(println (fiber/resume g))   # expect: user-bits
(println (fiber/bits g))     # expect: 4294967296
(println (fiber/resume g))   # expect: end
