# A while's implicit block is not visible inside a fn in its body.
(println "never printed")
(while true
  (each x [1 2] ((fn [] (break)))))
# expect compile error: break outside a block
