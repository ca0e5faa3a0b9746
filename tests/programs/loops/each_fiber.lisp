# each over a fiber resumes it while the value is truthy.
(defn countdown [n]
  (fiber/new (fn []
               (var i n)
               (while (> i 0)
                 (yield i)
                 (assign i (- i 1)))
               nil)
             :yield))
(each x (countdown 3) (println x))   # expect: 3
                                     # expect: 2
                                     # expect: 1
(def stops-early (fiber/new (fn [] (yield :a) (yield false) (yield :c) nil) :yield))
(each x stops-early (println x))     # expect: a
(println (fiber/status stops-early)) # expect: paused
