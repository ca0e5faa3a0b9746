# Structs and @structs: get, put, del, has?, keys, values, pairs, length.
(def s @{:a 1})
(put s :b 2)
(println (get s :b))          # expect: 2
(println (has? s :a))         # expect: true
(del s :a)
(println (has? s :a))         # expect: false
(println (length s))          # expect: 1
(println (get s :zzz))        # expect: nil
(println (get s :zzz 0))      # expect: 0
(def t {:a 1 :b 2 :c 3})
(println (length (keys t)))   # expect: 3
(println (fold + 0 (values t)))  # expect: 6
(println (length (pairs t)))  # expect: 3
(println (struct :k "v"))     # expect: {:k "v"}
(println (= {:a 1 :b 2} (struct :b 2 :a 1)))  # expect: true
(println (empty? {}))         # expect: true
