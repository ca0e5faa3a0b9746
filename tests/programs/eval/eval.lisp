# eval compiles quoted data as top-level code of the program and runs it.
(println (eval '(+ 1 2)))                                    # expect: 3
(println (eval (list '* 6 7)))                               # expect: 42
(eval '(defn sq [x] (* x x)))                                # defines a global
(println (eval '(sq 9)))                                     # expect: 81
(defn plus-one [n] (eval (list '+ n 1)))                     # called from a function
(println (plus-one 41))                                      # expect: 42
(println ((eval '(fn [a] (+ a 1))) 5))                       # expect: 6
(println (eval [1 2 '(+ 1 2)]))                              # expect: [1 2 3]
(eval '(var counter 0))
(eval '(assign counter (+ counter 1)))
(println (eval 'counter))                                    # expect: 1
(eval '(def again 5))
(eval '(def again 6))                                        # an eval may redefine its own
(println (eval 'again))                                      # expect: 6
# Compile errors are catchable errors of kind :compile-error at the eval call.
(println (get (get (protect (eval '(break 42))) 1) :error))  # expect: compile-error
(println (try (eval '(no-such-name 1)) (catch {:message m} m)))
# expect: eval: tests/programs/eval/eval.lisp:18:15: unknown variable: no-such-name
(def mine 3)
(println (try (eval '(def mine 4)) (catch {:message m} m)))
# expect: eval: tests/programs/eval/eval.lisp:21:15: eval cannot redefine 'mine', a global of the program
(def a @[1])
(push a a)
(println (try (eval a) (catch {:message m} m)))
# expect: eval: tests/programs/eval/eval.lisp:25:15: cannot evaluate a collection that contains itself
