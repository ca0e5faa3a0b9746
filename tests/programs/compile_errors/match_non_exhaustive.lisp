# A match with no catch-all last arm is a compile error.
(println "never printed")
(defn name-of [n]
  (match n
    1 "one"
    2 "two"))
# expect compile error: non-exhaustive match
