# The whole file is compiled first, so an unknown variable in a function that is never
# called still stops the program.
(println "never printed")
(defn never-called [] (+ 1 missing-helper))
# expect compile error: unknown variable
# expect compile error: missing-helper
