# Regression: (+ x) of -0.0 gave -0.0 interpreted and 0.0 compiled (the JIT summed from
# the integer 0). Both tiers sum from the first argument.
(defn one [x] (+ x))
(defn two [x y] (+ x y))
(var i 0)
(var a nil)
(var b nil)
(while (< i 20) (assign a (one -0.0)) (assign b (two -0.0 -0.0)) (assign i (+ i 1)))
(println a)              # expect: -0.0
(println b)              # expect: -0.0
