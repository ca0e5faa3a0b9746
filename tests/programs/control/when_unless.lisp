# when / unless run their body (several forms) only when the test allows.
(when true (println "a") (println "b"))   # expect: a
                                          # expect: b
(when false (println "never"))
(unless false (println "c"))              # expect: c
(unless true (println "never"))
(println (when true 1 2 3))               # expect: 3
(println (when false 1))                  # expect: nil
(println (unless true 1))                 # expect: nil
