# ... and for parameters (write the parameter as @limit-value to make it mutable).
(println "never printed")
(defn clamp [limit-value] (assign limit-value 0) limit-value)
# expect compile error: limit-value
# expect compile error: @limit-value
