# Calling a closure with the wrong number of arguments at run time is an :arity-error.
(defn apply-to-three [g] (g 1 2 3))
(println (apply-to-three (fn [a b c] (+ a b c))))   # expect: 6
(apply-to-three (fn [a] a))
# expect error: :arity-error
