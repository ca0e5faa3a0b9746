# Integer division by zero is a :division-by-zero error; uncaught, it ends the program.
(println "before")  # expect: before
(println (/ 10 0))
(println "after")
# expect error: :division-by-zero
