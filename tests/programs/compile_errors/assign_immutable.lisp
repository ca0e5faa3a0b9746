# Assigning to an immutable binding is a compile error that names it and suggests @.
(println "never printed")
(def counter 0)
(assign counter 1)
# expect compile error: counter
# expect compile error: @counter
