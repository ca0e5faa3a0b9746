# def needs a name and a value.
(println "never printed")
(def)
# expect compile error: malformed def
