# Structs and sets print in literal form: quoted strings and keywords with colons.
(println {:a 1})                   # expect: {:a 1}
(println {:name "vm"})             # expect: {:name "vm"}
(println |1 2|)                    # expect: |1 2|
(println |"s"|)                    # expect: |"s"|
(println {:k :v})                  # expect: {:k :v}
(println [{:a "x"}])               # expect: [{:a "x"}]
(println (list |:k|))              # expect: (|:k|)
(println @{:n 1})                  # expect: @{:n 1}
