# Top-level defs form one letrec: forward references and mutual recursion work;
# initialisers run in order.
(defn is-even? [n] (if (= n 0) true (is-odd? (- n 1))))
(defn is-odd? [n] (if (= n 0) false (is-even? (- n 1))))
(println (is-even? 10))   # expect: true
(println (is-odd? 7))     # expect: true
(defn caller [] (callee 5))
(defn callee [x] (* x 2))
(println (caller))        # expect: 10
(def a 1)
(def b (+ a 1))
(def c (+ b 1))
(println c)               # expect: 3
