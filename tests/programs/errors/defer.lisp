# defer always runs its cleanup after the body; it re-raises an error from the body.
(println (defer (println "cleanup") (println "work") :result))  # expect: work
                                                                # expect: cleanup
                                                                # expect: result
(def r (protect (defer (println "cleanup after error") (error :boom))))  # expect: cleanup after error
(println r)                                                     # expect: [false boom]
(defn with-resource [f]
  (println "open")
  (defer (println "close") (f)))
(println (with-resource (fn [] (println "use") 7)))             # expect: open
                                                                # expect: use
                                                                # expect: close
                                                                # expect: 7
