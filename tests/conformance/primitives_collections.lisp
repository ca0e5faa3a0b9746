# Conformance: docs/language.md sections 9.8-9.12, collections. Exits 0 when every
# assertion holds. Where docs/language.md does not say whether a result is a list or an
# array, the result is walked with `each` (to-array) instead of compared directly.

(defn error-kind [thunk]
  (let [[ok? e] (protect (thunk))]
    (if ok? :no-error (get e :error))))
(defn to-array [coll]
  (var out @[])
  (each x coll (push out x))
  out)

## list, pair, first, rest.
(assert (= () (list)) "(list) is ()")
(assert (= (list 1 2) (pair 1 (list 2))) "pair")
(assert (= (list 1) (pair 1 ())) "pair onto ()")
(assert (= 1 (first (list 1 2))) "first")
(assert (= (list 2) (rest (list 1 2))) "rest")
(assert (= () (rest (list 1))) "rest of a one-element list")

## length.
(assert (= 3 (length (list 1 2 3))) "length list")
(assert (= 0 (length ())) "length ()")
(assert (= 2 (length [1 2])) "length array")
(assert (= 2 (length @[1 2])) "length @array")
(assert (= 3 (length "abc")) "length string")
(assert (= 2 (length {:a 1 :b 2})) "length struct")
(assert (= 3 (length |1 2 3|)) "length set")

## get: negative indices count from the end; missing gives the default or nil.
(assert (= 20 (get [10 20 30] 1)) "get index")
(assert (= 30 (get [10 20 30] -1)) "get -1")
(assert (= 10 (get [10 20 30] -3)) "get -3")
(assert (nil? (get [10 20] 5)) "get missing index")
(assert (= :d (get [10 20] 5 :d)) "get missing index with default")
(assert (= 1 (get {:a 1} :a)) "get struct")
(assert (nil? (get {:a 1} :b)) "get missing key")
(assert (= 0 (get {:a 1} :b 0)) "get missing key with default")
(assert (= 1 (get @{:a 1} :a)) "get @struct")
(assert (= 2 (get @[1 2] -1)) "get @array -1")

## put, push, pop, del, has?.
(def ma @[1 2])
(put ma 0 9)
(assert (= [9 2] ma) "put into an @array")
(push ma 3)
(assert (= [9 2 3] ma) "push")
(assert (= 3 (pop ma)) "pop returns the last element")
(assert (= [9 2] ma) "pop removes it")
(def ms @{:a 1})
(put ms :b 2)
(assert (= 2 (get ms :b)) "put into a @struct")
(assert (has? ms :a) "has? key")
(assert (not (has? ms :z)) "has? missing key")
(del ms :a)
(assert (not (has? ms :a)) "del")
(assert (= 1 (length ms)) "del shrinks")
(assert (has? |1 2| 2) "has? set member")
(assert (not (has? |1 2| 3)) "has? set non-member")
(def frozen (freeze @[1]))
(assert (= [1 2] (push frozen 2)) "push onto an immutable array gives a new array, as in Elle")
(assert (= [1] frozen) "and leaves the frozen array as it was")

## keys, values, pairs.
(assert (= [:a] (to-array (keys {:a 1}))) "keys")
(assert (= [1] (to-array (values {:a 1}))) "values")
(assert (= 2 (length (keys {:a 1 :b 2}))) "keys count")
(assert (= 3 (fold + 0 (values {:a 1 :b 2}))) "values sum")
(var pairs-seen 0)
(each p (pairs {:a 1})
  (let [[k v] p]
    (assert (= :a k) "pairs key")
    (assert (= 1 v) "pairs value")
    (assign pairs-seen (+ pairs-seen 1))))
(assert (= 1 pairs-seen) "pairs visits every entry")

## append, reverse, butlast, last, slice.
(assert (= [1 2 3] (append [1 2] [3])) "append arrays")
(assert (= (list 1 2 3) (append (list 1) (list 2 3))) "append lists")
(assert (= (list 3 2 1) (reverse (list 1 2 3))) "reverse list")
(assert (= [3 2 1] (reverse [1 2 3])) "reverse array")
(assert (= [1 2] (butlast [1 2 3])) "butlast")
(assert (= 3 (last [1 2 3])) "last array")
(assert (= 3 (last (list 1 2 3))) "last list")
(assert (= [2 3] (slice [1 2 3 4] 1 3)) "slice")

## range, map, filter, fold, apply.
(assert (= [0 1 2 3 4] (to-array (range 5))) "range n")
(assert (= [2 3 4] (to-array (range 2 5))) "range a b")
(assert (= [0 3 6 9] (to-array (range 0 10 3))) "range a b step")
(assert (= (list 2 3 4) (map inc (list 1 2 3))) "map over a list")
(assert (= [2 3 4] (to-array (map inc [1 2 3]))) "map over an array")
(assert (= (list 2 3) (filter (fn [x] (> x 1)) (list 1 2 3))) "filter a list")
(assert (= [3 4] (to-array (filter (fn [x] (> x 2)) [1 2 3 4]))) "filter an array")
(assert (= 10 (fold + 0 (list 1 2 3 4))) "fold a list")
(assert (= 10 (fold + 0 [1 2 3 4])) "fold an array")
(assert (= 9 (fold max 0 [3 9 2])) "fold with max")
(assert (= 5 (fold + 5 [])) "fold of nothing is the initial value")
(assert (= 10 (apply + 1 2 (list 3 4))) "apply with leading arguments")
(assert (= 7 (apply max (list 5 1 7))) "apply")
(assert (= 3 (apply (fn [a b] (+ a b)) (list 1 2))) "apply a closure")

## array, @array, struct, @struct, set, @set, freeze, thaw, set->array.
(assert (= [1 2] (array 1 2)) "array")
(assert (array? (array 1 2)) "array is an array")
(def built @[])
(push built 1)
(assert (= [1] built) "@[] grows")
(def ba (@array 1))
(push ba 2)
(assert (= [1 2] ba) "@array is mutable")
(assert (= {:a 1 :b 2} (struct :a 1 :b 2)) "struct")
(def bs (@struct :a 1))
(put bs :b 2)
(assert (= 2 (get bs :b)) "@struct is mutable")
(assert (= |1 2| (set 1 2 2)) "set drops duplicates")
(assert (has? (@set 1) 1) "@set")
(assert (struct? (freeze @{:a 1})) "freeze a @struct")
(assert (= [1 2] (freeze @[1 2])) "freeze keeps the contents")
(def thawed (thaw [1]))
(push thawed 2)
(assert (= [1 2] thawed) "thaw gives a mutable copy")
(assert (= [5] (set->array |5|)) "set->array")
(assert (= 3 (length (set->array |1 2 3|))) "set->array keeps every member")

## empty?.
(assert (empty? ()) "empty? ()")
(assert (empty? []) "empty? []")
(assert (empty? "") "empty? string")
(assert (empty? {}) "empty? struct")
(assert (empty? (set)) "empty? set")
(assert (not (empty? [1])) "empty? non-empty")

(println "collections: ok")
