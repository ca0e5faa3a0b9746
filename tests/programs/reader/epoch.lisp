(elle/epoch 10)
# A first form `(elle/epoch 10)` is accepted and dropped.
(println "epoch 10 accepted")  # expect: epoch 10 accepted
