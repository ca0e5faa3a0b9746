# A malformed special form is a compile error.
(println "never printed")
(if)
# expect compile error: malformed if
