# An unknown variable is a compile error; nothing in the file runs.
(println "never printed")
(println undefined-thing)
# expect compile error: unknown variable
# expect compile error: undefined-thing
