# letrec binds names that can refer to each other.
(letrec [ev? (fn [n] (if (= n 0) true (od? (- n 1))))
         od? (fn [n] (if (= n 0) false (ev? (- n 1))))]
  (println (ev? 10))   # expect: true
  (println (od? 10)))  # expect: false
(println (letrec [fact (fn [n] (if (= n 0) 1 (* n (fact (- n 1)))))] (fact 5)))  # expect: 120
