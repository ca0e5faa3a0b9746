# 2,000 fibers, each resuming the next, and a yield propagating out through all of them.
(defn nest [n]
  (if (= n 0)
    0
    (+ 1 (fiber/resume (fiber/new (fn [] (nest (- n 1))) 0)))))
(println (nest 2000))              # expect: 2000
(defn nest-yield [n]
  (if (= n 0)
    (yield :deep)
    (fiber/resume (fiber/new (fn [] (nest-yield (- n 1))) 0))))
(def top (fiber/new (fn [] (nest-yield 2000)) :yield))
(println (fiber/resume top))       # expect: deep
(println (fiber/resume top 42))    # expect: 42
(println (fiber/status top))       # expect: dead
(defn nest-error [n]
  (if (= n 0)
    (error :bottom)
    (fiber/resume (fiber/new (fn [] (nest-error (- n 1))) 0))))
(println (protect (nest-error 2000)))  # expect: [false bottom]
