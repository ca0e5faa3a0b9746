# let binds flat pairs in order; later bindings see earlier ones; inner lets shadow.
(println (let [a 1 b (+ a 1) c (* b 10)] c))  # expect: 20
(let [x 1]
  (let [x 2]
    (println x))   # expect: 2
  (println x))     # expect: 1
(println (let [] 5))                          # expect: 5
(println (let [a 1] (println "body") (+ a 1)))  # expect: body
                                              # expect: 2
(println (let* [a 1 b (+ a 1)] (+ a b)))      # expect: 3
