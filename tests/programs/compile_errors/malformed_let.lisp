# let needs name/value pairs.
(println "never printed")
(let [a] a)
# expect compile error: malformed let
