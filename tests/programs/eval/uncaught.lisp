# A compile error in eval'd data that nothing catches ends the program at the eval call.
(println "before")                                   # expect: before
(defn run [form] (eval form))
(run '(if))                                          # expect error: :compile-error
(println "never")
