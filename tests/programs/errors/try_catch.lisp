# try evaluates its body; catch binds the error and its handler's value is the result.
(println (try 42 (catch e :unused)))                       # expect: 42
(println (try (/ 1 0) (catch e (get e :error))))           # expect: division-by-zero
(println (try (error :boom) (catch e (string "caught " e))))  # expect: caught boom
(println (try
           (try (error :first) (catch e (error :second)))
           (catch e e)))                                   # expect: second
(defn risky [x] (if (< x 0) (error :negative) (* x 10)))
(println (try (risky 4) (catch e e)))                      # expect: 40
(println (try (risky -4) (catch e e)))                     # expect: negative
(println (try (println "body runs") (println "more") :ok (catch e :no)))  # expect: body runs
                                                           # expect: more
                                                           # expect: ok
