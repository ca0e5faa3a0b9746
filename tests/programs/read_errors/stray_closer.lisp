# A closing paren with nothing open.
(println "never printed")
(println 1))
# expect read error: )
