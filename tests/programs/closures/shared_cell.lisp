# Two closures over the same mutable binding see each other's changes.
(defn make-account [start]
  (var balance start)
  (def deposit (fn [x] (assign balance (+ balance x)) balance))
  (def report (fn [] balance))
  [deposit report])
(def [deposit report] (make-account 100))
(deposit 50)
(println (report))       # expect: 150
(println (deposit 25))   # expect: 175
(println (report))       # expect: 175
