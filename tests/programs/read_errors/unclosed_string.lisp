# A string with no closing quote.
(println "never printed")
(println "abc)
# expect read error: unclosed string
