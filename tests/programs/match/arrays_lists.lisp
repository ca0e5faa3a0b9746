# Array patterns [a b & rest] and list patterns (x & rest).
(defn shape [v]
  (match v
    [a b] (string "two: " a " " b)
    [a b c] (string "three: " (+ a b c))
    [a & rest] (string "first " a ", then " (length rest) " more")
    _ "not an array"))
(println (shape [1 2]))         # expect: two: 1 2
(println (shape [1 2 3]))       # expect: three: 6
(println (shape [7 8 9 10]))    # expect: first 7, then 3 more
(println (shape 5))             # expect: not an array
(println (match (list 1 2 3) (h & t) (string h " then " t) _ "empty"))  # expect: 1 then (2 3)
(println (match [[1 2] 3] [[a b] c] (+ a b c) _ 0))  # expect: 6
(println (match [1 2 3 4] [a b & rest] (+ a b (length rest)) _ 0))  # expect: 5
