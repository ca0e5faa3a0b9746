# match on literals, with `_` and a binding symbol as catch-alls.
(defn describe [v]
  (match v
    0 "zero"
    1 "one"
    :red "the keyword red"
    "hi" "the string hi"
    _ "something else"))
(println (describe 0))      # expect: zero
(println (describe 1))      # expect: one
(println (describe :red))   # expect: the keyword red
(println (describe "hi"))   # expect: the string hi
(println (describe 99))     # expect: something else
(println (match 42 x (+ x 1)))  # expect: 43
