# defer runs its cleanup and then re-raises; nothing catches it here.
(defer (println "cleanup ran") (/ 1 0))   # expect: cleanup ran
(println "not reached")
# expect error: :division-by-zero
