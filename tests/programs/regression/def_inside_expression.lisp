# Regression: a def inside an expression at top level (in a begin that is a def's value,
# or a call's argument) crashed the compiler with a Python AttributeError: only top-level
# defs were declared as globals before compiling. A def is valid wherever a begin is.
(def r (begin (def x 1) (+ x 1)))
(println r)              # expect: 2
(println x)              # expect: 1
(println (def y 10))     # expect: 10
(println (var z 3))      # expect: 3
(assign z 4)
(println z)              # expect: 4
