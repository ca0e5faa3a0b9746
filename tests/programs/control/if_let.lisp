# if-let and when-let bind a value and branch on its truthiness.
(def table {:a 5})
(println (if-let [x (get table :a)] (* x 2) :none))   # expect: 10
(println (if-let [x (get table :b)] x :none))         # expect: none
(when-let [x (get table :a)]
  (println "got")                                     # expect: got
  (println x))                                        # expect: 5
(println (when-let [x (get table :b)] x))             # expect: nil
