# `[...]` and `(...)` are interchangeable as parameter lists and binding vectors.
(defn add (a b) (+ a b))
(println (add 2 3))                  # expect: 5
(defn mul [a b] (* a b))
(println (mul 2 3))                  # expect: 6
(println ((fn (x) (* x x)) 7))       # expect: 49
(println (let (x 1 y 2) (+ x y)))    # expect: 3
(println (let [x 10 y 20] (+ x y)))  # expect: 30
