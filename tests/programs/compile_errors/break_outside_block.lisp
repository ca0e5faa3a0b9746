# break with no block in scope is a compile error.
(println "never printed")
(break 1)
# expect compile error: break outside a block
