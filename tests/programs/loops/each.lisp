# each iterates lists, arrays, @arrays, strings, sets and structs ([k v]).
(each x (list 1 2 3) (println x))   # expect: 1
                                    # expect: 2
                                    # expect: 3
(each x [:a :b] (println x))        # expect: a
                                    # expect: b
(each x @["m"] (println x))         # expect: m
(var chars 0)
(each c "hello" (assign chars (+ chars 1)))
(println chars)                     # expect: 5
(var set-sum 0)
(each x |1 2 3| (assign set-sum (+ set-sum x)))
(println set-sum)                   # expect: 6
(var struct-sum 0)
(var all-keywords true)
(each entry {:a 1 :b 2 :c 3}
  (let [[k v] entry]
    (assign struct-sum (+ struct-sum v))
    (unless (keyword? k) (assign all-keywords false))))
(println struct-sum)                # expect: 6
(println all-keywords)              # expect: true
