# Struct patterns {:k pat} and alternatives (or p...).
(defn area [s]
  (match s
    {:kind :circle :r r} (* 3 r r)
    {:kind :square :side n} (* n n)
    _ 0))
(println (area {:kind :circle :r 2}))     # expect: 12
(println (area {:kind :square :side 5}))  # expect: 25
(println (area {:kind :blob}))            # expect: 0
(defn size [n]
  (match n
    (or 1 2 3) "small"
    (or 4 5) "medium"
    _ "large"))
(println (size 2))   # expect: small
(println (size 5))   # expect: medium
(println (size 50))  # expect: large
