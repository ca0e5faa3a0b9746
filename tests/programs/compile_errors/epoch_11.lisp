(elle/epoch 11)
# Only epoch 10 is supported.
(println "never printed")
# expect compile error: epoch 10
