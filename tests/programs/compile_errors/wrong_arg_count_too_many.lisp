# Too many arguments for a callee with optional parameters but no rest parameter.
(println "never printed")
(defn greet-person [name &opt greeting] name)
(greet-person "a" "b" "c")
# expect compile error: greet-person
# expect compile error: arguments
