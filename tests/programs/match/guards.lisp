# `pat when guard body` arms only match when the guard is truthy.
(defn classify [n]
  (match n
    0 "zero"
    x when (< x 0) "negative"
    x when (> x 100) "big"
    _ "ordinary"))
(println (classify 0))     # expect: zero
(println (classify -3))    # expect: negative
(println (classify 500))   # expect: big
(println (classify 50))    # expect: ordinary
(println (match [3 4] [a b] when (> a b) "descending" [a b] "not descending" _ "other"))  # expect: not descending
