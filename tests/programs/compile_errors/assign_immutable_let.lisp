# The same rule holds for let bindings.
(println "never printed")
(let [running-total 0]
  (assign running-total 5))
# expect compile error: running-total
# expect compile error: @running-total
