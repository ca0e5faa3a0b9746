# Integers are exact and never wrap.
(println (* 99999999999 99999999999))      # expect: 9999999999800000000001
(println (+ 9223372036854775807 1))        # expect: 9223372036854775808
(println (- -9223372036854775808 1))       # expect: -9223372036854775809
(println (bit/shl 1 100))                  # expect: 1267650600228229401496703205376
(defn fact [n] (if (= n 0) 1 (* n (fact (- n 1)))))
(println (fact 30))                        # expect: 265252859812191058636308480000000
(println (/ (fact 30) (fact 28)))          # expect: 870
