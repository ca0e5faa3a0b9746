# A def or var nested in an expression of a body (a branch, a case arm) is the body's name
# from its start, nil until it runs; a function capturing it on another path finds its
# cell (found by tests/test_grammar.py: a verify error instead of a run).
(defn h [] (if false (var g 1) (fn [] (assign g 2) g)))
(println ((h)))                                              # expect: 2
(defn k [c] (when c (var g 1)) (fn [] g))
(println ((k false)) " " ((k true)))                         # expect: nil 1
(println ((case 1 2 (var @f 1) (fn [] f))))                  # expect: nil
(defn n [] (if true (def [a b] [1 2])) (+ a b))
(println (n))                                                # expect: 3
(defn g [c] (when c (defn h [n] (if (= n 0) :done (h (- n 1))))) (fn [] h))
(println ((g false)) " " (((g true)) 3))                     # expect: nil done
