# Prelude forms mean themselves whatever the program binds to the names their expansions
# use: a local `let` (here bound by a match pattern), `=` or `fiber/status`, a global `=`
# (found by tests/test_grammar.py: `(protect 1)` failed with "unknown variable").
(println (match -1 (x when (let [a 1] a)) (protect 1) _ 3))            # expect: 3
(let [let 5 = 7 fiber/status 0]
  (println (protect (+ let =)))                                          # expect: [true 12]
  (println (try (error :e) (catch e e)))                                 # expect: e
  (each v [1 2] (print v)))                                              # expect: 12
(println)
(defn f [if] (when if (unless false (+ if 1))))                          # `when` expands to `if`
(println (f 4))                                                          # expect: 5
