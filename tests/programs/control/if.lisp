# Only nil and false are falsy; () and 0 are truthy; a missing else is nil.
(println (if true "yes" "no"))      # expect: yes
(println (if nil 1 2))              # expect: 2
(println (if false 1 2))            # expect: 2
(println (if 0 "zero is truthy" "no"))  # expect: zero is truthy
(println (if () "empty list is truthy" "no"))  # expect: empty list is truthy
(println (if "" "empty string is truthy" "no"))  # expect: empty string is truthy
(println (if false 1))              # expect: nil
