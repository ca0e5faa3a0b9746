# (def @name v) and (var name v) make mutable bindings changed with assign.
(def @count 0)
(assign count (+ count 1))
(assign count (+ count 1))
(println count)        # expect: 2
(var total 10)
(defn add-to-total [x] (assign total (+ total x)))
(add-to-total 5)
(add-to-total 7)
(println total)        # expect: 22
