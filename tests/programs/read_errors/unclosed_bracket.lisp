# An unclosed array literal.
(println "never printed")
(def xs [1 2 3
# expect read error: unclosed
