# fn needs a parameter list.
(println "never printed")
(fn)
# expect compile error: malformed fn
