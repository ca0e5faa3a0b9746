# Errors raised by primitives are structs {:error :kind :message "..."}.
(defn kind-of [thunk]
  (let [[ok? e] (protect (thunk))]
    (if ok? :no-error (get e :error))))
(defn call-with-two [g] (g 1 2))
(defn deep [n] (+ 1 (deep (+ n 1))))
(def done (fiber/new (fn [] 1) 0))
(fiber/resume done)
(println (kind-of (fn [] (/ 5 0))))                     # expect: division-by-zero
(println (kind-of (fn [] (+ 1 "two"))))                 # expect: type-error
(println (kind-of (fn [] (call-with-two (fn [a] a)))))  # expect: arity-error
(println (kind-of (fn [] (fiber/resume done))))         # expect: state-error
(println (kind-of (fn [] (assert false "nope"))))       # expect: failed-assertion
(println (kind-of (fn [] (deep 0))))                    # expect: stack-overflow
(println (kind-of (fn [] (+ 1 2))))                     # expect: no-error
