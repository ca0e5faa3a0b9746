# An unclosed struct literal.
(println "never printed")
(def s {:a 1
# expect read error: unclosed
