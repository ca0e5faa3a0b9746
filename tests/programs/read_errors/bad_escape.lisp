# Only \n \t \r \\ \" are string escapes.
(println "never printed")
(println "a\qb")
# expect read error: escape
