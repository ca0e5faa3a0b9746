# A leading string in a defn body with more forms after it is a docstring.
(defn square [x] "Return x times x." (* x x))
(println (square 6))   # expect: 36
(defn just-a-string [] "only a string")
(println (just-a-string))  # expect: only a string
