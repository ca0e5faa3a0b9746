# and / or return the deciding value and short-circuit.
(println (and 1 2 3))        # expect: 3
(println (and 1 nil 3))      # expect: nil
(println (and 1 false 3))    # expect: false
(println (or nil 2 3))       # expect: 2
(println (or nil false))     # expect: false
(println (or false :found))  # expect: found
(or 1 (println "never printed"))
(and nil (println "never printed"))
(println "done")             # expect: done
