# An endless generator: a fiber with a :yield mask, resumed ten times.
(defn fib-gen []
  (fiber/new (fn []
               (var a 0)
               (var b 1)
               (forever
                 (yield a)
                 (let [sum (+ a b)]
                   (assign a b)
                   (assign b sum))))
             :yield))
(def g (fib-gen))
(var out @[])
(while (< (length out) 10)
  (push out (fiber/resume g)))
(println (freeze out))   # expect: [0 1 1 2 3 5 8 13 21 34]
(println (fiber/status g))  # expect: paused
