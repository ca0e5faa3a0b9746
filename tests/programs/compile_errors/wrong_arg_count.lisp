# Calling a function known at compile time with the wrong number of arguments.
(println "never printed")
(defn add-two [a b] (+ a b))
(println (add-two 1))
# expect compile error: add-two
# expect compile error: arguments
