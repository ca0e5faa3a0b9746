# Sets: literals, set, has?, length, equality ignores order.
(println (has? |1 2 3| 2))          # expect: true
(println (has? |1 2 3| 5))          # expect: false
(println (length (set 1 2 2 3)))    # expect: 3
(println (= |1 2| |2 1|))           # expect: true
(println (set 5))                   # expect: |5|
(println (set->array |4|))          # expect: [4]
(println (set? (@set 1)))           # expect: true
