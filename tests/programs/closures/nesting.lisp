# Closures capture through several levels; captured values are fixed at creation.
(defn outer [a] (fn [b] (fn [c] (+ a b c))))
(println (((outer 1) 2) 3))          # expect: 6
(defn adder [n] (fn [x] (+ x n)))
(def add5 (adder 5))
(println (add5 10))                  # expect: 15
(println (map (adder 1) (list 1 2 3)))  # expect: (2 3 4)
(defn compose [f g] (fn [x] (f (g x))))
(println ((compose (fn [x] (* 2 x)) inc) 4))  # expect: 10
(println (closure? add5))            # expect: true
(println (closure? 5))               # expect: false
