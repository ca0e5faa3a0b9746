# cond takes flat test/expression pairs and an optional default.
(defn sign [x]
  (cond (< x 0) "negative"
        (= x 0) "zero"
        "positive"))
(println (sign -5))   # expect: negative
(println (sign 0))    # expect: zero
(println (sign 7))    # expect: positive
(println (cond false 1 nil 2))  # expect: nil
(println (cond false 1 (+ 1 1) "second test wins"))  # expect: second test wins
