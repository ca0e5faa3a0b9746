# protect returns [ok? value-or-error], catching only :error.
(println (protect (+ 1 2)))                      # expect: [true 3]
(def r (protect (/ 1 0)))
(println (get r 0))                              # expect: false
(println (get (get r 1) :error))                 # expect: division-by-zero
(println (string? (get (get r 1) :message)))     # expect: true
(println (protect (error :custom)))              # expect: [false custom]
(println (protect (error {:error :mine :message "m"})))  # expect: [false {:error :mine :message "m"}]
(println (protect (println "inside") :after))    # expect: inside
                                                 # expect: [true after]
