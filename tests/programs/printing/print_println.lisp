# print writes without a newline; println ends the line.
(print "a")
(print "b")
(println "c")                      # expect: abc
(print 1)
(print " ")
(println 2)                        # expect: 1 2
(print :x)
(println "")                       # expect: x
(println (string "n=" 1 ", kw=" :k ", s=" "str"))  # expect: n=1, kw=k, s=str
