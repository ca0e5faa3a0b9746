# A form left open at the end of the file is a read error; nothing runs.
(println "never printed")
(println (+ 1 2)
# expect read error: unclosed
