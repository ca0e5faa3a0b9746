# Conformance: docs/language.md sections 9.1-9.5 and 9.16, numbers and assertions. Exits 0
# when every assertion holds.

(defn error-kind [thunk]
  (let [[ok? e] (protect (thunk))]
    (if ok? :no-error (get e :error))))

## assert.
(assert (= 5 (assert 5)) "assert returns a truthy value")
(assert (= 5 (assert 5 "msg")) "assert with a message returns the value")
(assert (= () (assert ())) "() is truthy for assert")
(def failed (get (protect (assert false "the message")) 1))
(assert (= :failed-assertion (get failed :error)) "assert raises :failed-assertion")
(assert (string-contains? (get failed :message) "the message") "with the given message")
(assert (= :failed-assertion (error-kind (fn [] (assert nil)))) "assert nil without a message")

## + - * / (variadic), negation, reciprocal.
(assert (= 6 (+ 1 2 3)) "+")
(assert (= 5 (+ 5)) "+ of one")
(assert (= 5 (- 10 3 2)) "-")
(assert (= -5 (- 5)) "(- x) negates")
(assert (= 24 (* 2 3 4)) "*")
(assert (= 2 (/ 12 3 2)) "/ variadic")
(assert (= 0.5 (/ 2.0)) "(/ x) is the reciprocal")
(assert (= 0.25 (/ 4.0)) "(/ 4.0)")
(assert (= 3 (/ 7 2)) "integer / truncates")
(assert (= -3 (/ -7 2)) "toward zero")
(assert (= 3.5 (/ 7 2.0)) "float /")
(assert (= 2.5 (- 5 2.5)) "mixed -")

## rem, mod, abs, min, max, inc, dec.
(assert (= 1 (rem 7 3)) "rem")
(assert (= -1 (rem -7 3)) "rem takes the dividend's sign")
(assert (= 1 (mod 7 3)) "mod")
(assert (= 2 (mod -7 3)) "mod of a negative dividend is non-negative")
(assert (= 7 (abs -7)) "abs int")
(assert (= 2.5 (abs -2.5)) "abs float")
(assert (= 0 (abs 0)) "abs 0")
(assert (= 1 (min 3 1 2)) "min")
(assert (= 3 (max 3 1 2)) "max")
(assert (= -1 (min -1 5)) "min negative")
(assert (= 2 (inc 1)) "inc")
(assert (= 0 (dec 1)) "dec")
(assert (= 2.5 (inc 1.5)) "inc float")

## Comparisons: chained, on numbers, strings, keywords.
(assert (< 1 2) "<")
(assert (< 1 2 3) "< chained")
(assert (not (< 1 3 2)) "< chained fails")
(assert (> 3 2 1) "> chained")
(assert (<= 1 1 2) "<= chained")
(assert (>= 2 2 1) ">= chained")
(assert (not (> 1 1)) "> strict")
(assert (< 1 1.5) "int < float")
(assert (< 1.5 2) "float < int")
(assert (< "a" "b") "< strings")
(assert (< "a" "b" "c") "< strings chained")
(assert (> "b" "a") "> strings")
(assert (<= "a" "a") "<= strings")
(assert (< :a :b) "< keywords")
(assert (> :b :a) "> keywords")

## =, not=, not.
(assert (= 1 1) "=")
(assert (= 1 1.0) "= numeric-aware")
(assert (not (= 1 2)) "= false")
(assert (not= 1 2) "not=")
(assert (not (not= 1 1.0)) "not= numeric-aware")
(assert (not nil) "not nil")
(assert (not false) "not false")
(assert (= false (not 0)) "not 0")
(assert (= false (not ())) "not ()")

## int, float.
(assert (= 3 (int 3.7)) "int truncates")
(assert (= -3 (int -3.7)) "int truncates toward zero")
(assert (int? (int 3.7)) "int returns an integer")
(assert (= 3 (int 3)) "int of an int")
(assert (= 2.0 (float 2)) "float")
(assert (float? (float 2)) "float returns a float")

## Bit operations.
(assert (= 1 (bit/and 5 3)) "bit/and")
(assert (= 7 (bit/or 5 3)) "bit/or")
(assert (= 6 (bit/xor 5 3)) "bit/xor")
(assert (= 1024 (bit/shl 1 10)) "bit/shl")
(assert (= 4 (bit/shr 64 4)) "bit/shr")
(assert (= 255 (bit/and -1 255)) "bit/and with a negative")
(assert (= -4 (bit/shr -16 2)) "bit/shr is arithmetic")
(assert (= 1099511627776 (bit/shl 1 40)) "bit/shl past 32 bits")

## Intrinsics.
(assert (= 5 (%add 2 3)) "%add")
(assert (= -1 (%sub 2 3)) "%sub")
(assert (= 20 (%mul 4 5)) "%mul")
(assert (= 4 (%div 9 2)) "%div")
(assert (= 1 (%rem 9 2)) "%rem")
(assert (%eq 2 2) "%eq")
(assert (%lt 1 2) "%lt")
(assert (not (%gt 1 2)) "%gt")
(assert (%le 2 2) "%le")
(assert (not (%ge 1 2)) "%ge")
(assert (%not nil) "%not")
(assert (= 7 (%first (list 7 8))) "%first")
(assert (= (list 8) (%rest (list 7 8))) "%rest")
(assert (= (list 1 2) (%pair 1 (list 2))) "%pair")
(assert (= 3.5 (%add 1.5 2)) "%add mixes int and float")

## Errors.
(assert (= :division-by-zero (error-kind (fn [] (/ 1 0)))) "/ by zero")
(assert (= :type-error (error-kind (fn [] (+ 1 "a")))) "+ on a string")
(assert (= :type-error (error-kind (fn [] (* :k 2)))) "* on a keyword")

(println "numbers: ok")
