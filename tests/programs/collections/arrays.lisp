# Arrays and @arrays: get (negative indices, defaults), push, pop, put, slice.
(def a [10 20 30])
(println (get a 1))          # expect: 20
(println (get a -1))         # expect: 30
(println (get a 9))          # expect: nil
(println (get a 9 :none))    # expect: none
(println (length a))         # expect: 3
(println (reverse a))        # expect: [30 20 10]
(println (append [1 2] [3])) # expect: [1 2 3]
(println (butlast [1 2 3]))  # expect: [1 2]
(println (last [1 2 3]))     # expect: 3
(println (slice [1 2 3 4 5] 1 3))  # expect: [2 3]
(def m @[1 2])
(push m 3)
(println m)                  # expect: @[1 2 3]
(println (pop m))            # expect: 3
(println (length m))         # expect: 2
(put m 0 9)
(println m)                  # expect: @[9 2]
(println (array 1 2))        # expect: [1 2]
(println (@array 1 2))       # expect: @[1 2]
(println (freeze @[1 2]))    # expect: [1 2]
(println (thaw [1 2]))       # expect: @[1 2]
(println (empty? []))        # expect: true
