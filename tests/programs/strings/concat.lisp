# `string` concatenates display forms.
(println (string "a" "b" "c"))               # expect: abc
(println (string "n=" 42))                   # expect: n=42
(println (string :kw " " 1.5 " " nil " " true))  # expect: kw 1.5 nil true
(println (string "list: " (list 1 "x" :y)))  # expect: list: (1 x y)
(println (= "abc" (string "ab" "c")))        # expect: true
(println (string? (string 12)))              # expect: true
