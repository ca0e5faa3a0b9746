# A closer that does not match the opener is a read error.
(println "never printed")
(def xs [1 2 3)
# expect read error: )
