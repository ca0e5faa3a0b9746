# Strings compare structurally and order lexicographically.
(println (= "same" "same"))        # expect: true
(println (= "same" "other"))       # expect: false
(println (< "abc" "abd"))          # expect: true
(println (< "b" "a"))              # expect: false
(println (string? "s"))            # expect: true
(println (string? :s))             # expect: false
