# (signal :name) declares a user signal; bits are allocated from 2^32 upward in order.
(def progress-kw (signal :progress))
(signal :warning)
(println progress-kw)   # expect: progress
(def f (fiber/new (fn []
                    (emit :progress 50)
                    (emit :warning "low disk")
                    :finished)
                  |:progress :warning|))
(println (fiber/resume f))   # expect: 50
(println (fiber/bits f))     # expect: 4294967296
(println (fiber/resume f))   # expect: low disk
(println (fiber/bits f))     # expect: 8589934592
(println (fiber/resume f))   # expect: finished
(println (fiber/bits f))     # expect: 0
