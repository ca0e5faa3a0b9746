# A mask is an int, a keyword, or a set/array/list of keywords.
(signal :tick)
(defn noop [] nil)
(println (fiber/mask (fiber/new noop 0)))                  # expect: 0
(println (fiber/mask (fiber/new noop :error)))             # expect: 1
(println (fiber/mask (fiber/new noop :yield)))             # expect: 2
(println (fiber/mask (fiber/new noop 3)))                  # expect: 3
(println (fiber/mask (fiber/new noop |:error :yield|)))    # expect: 3
(println (fiber/mask (fiber/new noop [:yield :fuel])))     # expect: 4098
(println (fiber/mask (fiber/new noop (list :debug :io))))  # expect: 516
(println (fiber/mask (fiber/new noop :halt)))              # expect: 256
(println (fiber/mask (fiber/new noop :tick)))              # expect: 4294967296
