# Collection literals and how println shows them.
(println [1 2 3])        # expect: [1 2 3]
(println @[1 2])         # expect: @[1 2]
(println {:a 1})         # expect: {:a 1}
(println @{:a 1})        # expect: @{:a 1}
(println |7|)            # expect: |7|
(println @|7|)           # expect: @|7|
(println '())            # expect: ()
(println [])             # expect: []
(println (array? [1]))   # expect: true
(println (struct? {:a 1}))  # expect: true
(println (set? |1 2|))   # expect: true
(println (= [1 2] @[1 2]))  # expect: true
