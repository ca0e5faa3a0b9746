# case compares a value with literals, with an optional default.
(defn name-of [n]
  (case n
    1 "one"
    2 "two"
    "many"))
(println (name-of 1))   # expect: one
(println (name-of 2))   # expect: two
(println (name-of 9))   # expect: many
(println (case :b :a 1 :b 2 0))  # expect: 2
(println (case (+ 1 1) 2 "computed" "no"))  # expect: computed
