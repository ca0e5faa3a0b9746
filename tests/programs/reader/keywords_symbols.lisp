# true, false, nil, keywords and symbols.
(println true)              # expect: true
(println false)             # expect: false
(println nil)               # expect: nil
(println :name)             # expect: name
(println (keyword? :name))  # expect: true
(println (symbol? 'name))   # expect: true
(println (= :a :a))         # expect: true
(println (= :a :b))         # expect: false
(println 'with-dash?)       # expect: with-dash?
(println (boolean? false))  # expect: true
(println (nil? nil))        # expect: true
