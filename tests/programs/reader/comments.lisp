# Comments run from `#` to the end of the line; `##` works too.
## A double-hash comment line.
(println 1)  # expect: 1
(println (+ 1 # a comment in the middle of a form
            2))  # expect: 3
(println "a # b")  # expect: a # b
## (println "this whole line is a comment")
(println "done")  # expect: done
