# = is structural for collections and by identity for closures.
(println (= [1 [2 3]] [1 [2 3]]))      # expect: true
(println (= (list 1 2) (list 1 2)))    # expect: true
(println (= (list 1 2) (list 1 3)))    # expect: false
(println (= {:a [1]} {:a [1]}))        # expect: true
(println (= [1 2] @[1 2]))             # expect: true
(def f (fn [] 1))
(println (= f f))                      # expect: true
(println (= f (fn [] 1)))              # expect: false
(println (identical? :k :k))           # expect: true
(println (identical? @[1] @[1]))       # expect: false
