# begin and do evaluate forms in order and return the last value.
(println (begin 1 2 3))                 # expect: 3
(println (do (println "side") 4))       # expect: side
                                        # expect: 4
(println (begin (println "x") (println "y") :z))  # expect: x
                                        # expect: y
                                        # expect: z
