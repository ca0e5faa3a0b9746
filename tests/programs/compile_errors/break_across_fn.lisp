# break cannot cross a fn boundary to reach an enclosing block.
(println "never printed")
(block :outer
  ((fn [] (break :outer 1))))
# expect compile error: break outside a block
