# Conformance: docs/language.md sections 3 and 4, special forms and prelude forms. Exits 0
# when every assertion holds.

(defn error-kind [thunk]
  (let [[ok? e] (protect (thunk))]
    (if ok? :no-error (get e :error))))

## def, var, mutability and destructuring.
(def d1 10)
(assert (= 10 d1) "def binds")
(def @d2 1)
(assign d2 2)
(assert (= 2 d2) "def @name is mutable")
(var d3 1)
(assign d3 (+ d3 1))
(assert (= 2 d3) "var is def @")
(def [da db] [1 2])
(assert (= 3 (+ da db)) "def destructures")
(def [dx [dy dz]] [1 [2 3]])
(assert (= 6 (+ dx dy dz)) "nested def destructuring")
(def [_ dsecond] [1 2])
(assert (= 2 dsecond) "_ in a def pattern")

## Top-level defs form one letrec; initialisers run in order.
(defn fwd-a [] (fwd-b 1))
(defn fwd-b [x] (+ x 1))
(assert (= 2 (fwd-a)) "forward reference")
(defn m-even? [n] (if (= n 0) true (m-odd? (- n 1))))
(defn m-odd? [n] (if (= n 0) false (m-even? (- n 1))))
(assert (m-even? 10) "mutual recursion at top level")
(var init-order @[])
(def io-1 (push init-order 1))
(def io-2 (push init-order 2))
(assert (= [1 2] init-order) "initialisers run in order")

## def inside a function body behaves the same within that body.
(defn body-defs [n]
  (def is-ev? (fn [k] (if (= k 0) true (is-od? (- k 1)))))
  (def is-od? (fn [k] (if (= k 0) false (is-ev? (- k 1)))))
  (def twice (* n 2))
  [(is-ev? n) twice])
(assert (= [true 8] (body-defs 4)) "defs in a body form a letrec")
(defn body-var []
  (var acc 0)
  (assign acc (+ acc 5))
  acc)
(assert (= 5 (body-var)) "var in a body")

## fn: parameters, rest, optional, mutable parameters, docstrings.
(assert (= 3 ((fn [a b] (+ a b)) 1 2)) "fn")
(assert (= (list 2 3) ((fn [a & more] more) 1 2 3)) "rest parameter is a list")
(assert (= 0 (length ((fn [& more] more)))) "empty rest parameter")
(assert (nil? ((fn [a &opt b] b) 1)) "missing optional is nil")
(assert (= 2 ((fn [a &opt b] b) 1 2)) "optional supplied")
(assert (= 11 ((fn [@a] (assign a (+ a 10)) a) 1)) "mutable parameter")
(assert (= 3 ((fn [] 1 2 3))) "fn body returns its last form")
(defn with-doc [x] "Adds one." (+ x 1))
(assert (= 2 (with-doc 1)) "a docstring is skipped")
(defn only-string [] "not a docstring")
(assert (= "not a docstring" (only-string)) "a lone string is the body")

## let, let*, letrec.
(assert (= 3 (let [a 1 b (+ a 1)] (+ a b))) "let is sequential")
(assert (= 2 (let [x 1] (let [x 2] x))) "inner let shadows")
(assert (= 1 (let [x 1] (let [x 2] x) x)) "shadowing is scoped")
(assert (= 7 (let [[a b] [3 4]] (+ a b))) "let destructures")
(assert (= 4 (let [[_ b] [3 4]] b)) "_ ignores")
(assert (= 5 (let [[ok? v] (protect 5)] v)) "protect result pattern")
(assert (= 3 (let [@m 1] (assign m 3) m)) "@ makes a let binding mutable")
(assert (= 3 (let* [a 1 b (+ a 1)] (+ a b))) "let*")
(assert (letrec [le? (fn [n] (if (= n 0) true (lo? (- n 1))))
                 lo? (fn [n] (if (= n 0) false (le? (- n 1))))]
          (le? 6))
        "letrec mutual recursion")

## Closures capture bindings; mutable captures are shared.
(defn make-counter []
  (var n 0)
  (fn [] (assign n (+ n 1)) n))
(def ctr1 (make-counter))
(def ctr2 (make-counter))
(ctr1)
(assert (= 2 (ctr1)) "a closure keeps its own state")
(assert (= 1 (ctr2)) "each closure gets a fresh binding")

## if, cond, when, unless, and, or, case, if-let, when-let.
(assert (= 1 (if true 1 2)) "if true")
(assert (= 2 (if nil 1 2)) "if nil")
(assert (nil? (if false 1)) "if without else")
(assert (= :b (cond false :a true :b :c)) "cond picks the first truthy test")
(assert (= :c (cond false :a nil :b :c)) "cond default")
(assert (nil? (cond false :a)) "cond without default")
(assert (= 3 (when true 1 2 3)) "when returns its last form")
(assert (nil? (when false 1)) "when false is nil")
(assert (= 2 (unless false 1 2)) "unless")
(assert (nil? (unless true 1)) "unless true is nil")
(assert (= 3 (and 1 2 3)) "and returns its last value")
(assert (= false (and 1 false 3)) "and returns the deciding false")
(assert (nil? (and nil 2)) "and returns the deciding nil")
(assert (= 1 (or nil 1 2)) "or returns the first truthy value")
(assert (= false (or nil false)) "or returns the last falsy value")
(var side 0)
(or 1 (assign side 1))
(and nil (assign side 2))
(assert (= 0 side) "and/or short-circuit")
(assert (= "two" (case 2 1 "one" 2 "two" "other")) "case")
(assert (= "other" (case 9 1 "one" "other")) "case default")
(assert (= :b (case :k :j :a :k :b :z)) "case on keywords")
(assert (= 6 (if-let [x 3] (* x 2) 0)) "if-let then")
(assert (= 0 (if-let [x nil] (* x 2) 0)) "if-let else on nil")
(assert (= 0 (if-let [x false] 1 0)) "if-let else on false")
(assert (= 4 (when-let [x 2] (+ x 2))) "when-let")
(assert (nil? (when-let [x nil] 1)) "when-let on nil")

## begin and do.
(assert (= 3 (begin 1 2 3)) "begin")
(assert (= 3 (do 1 2 3)) "do")

## block, break, while, forever, each.
(assert (= 3 (block 1 2 3)) "block value")
(assert (= 3 (block :named 1 2 3)) "named block value")
(assert (= 7 (block (break 7) 8)) "break with a value")
(assert (nil? (block (break) 8)) "break without a value")
(assert (= :x (block :a (block :b (break :a :x) 1) 2)) "break to a named outer block")
(assert (= 2 (block :a (block :b (break :b 1)) 2)) "break leaves only its own block")
(var wi 0)
(while (< wi 5) (assign wi (+ wi 1)))
(assert (= 5 wi) "while")
(var wj 0)
(while true (assign wj (+ wj 1)) (when (= wj 4) (break)))
(assert (= 4 wj) "break leaves a while")
(var wk 0)
(block :outer-loop
  (while true
    (while true
      (assign wk (+ wk 1))
      (break :while nil))
    (when (>= wk 3) (break :outer-loop nil))))
(assert (= 3 wk) "while is an implicit block named :while")
(var fc 0)
(assert (= 10 (block :f (forever (assign fc (+ fc 1)) (when (= fc 10) (break :f fc))))) "forever")
(var es 0)
(each x (list 1 2 3) (assign es (+ es x)))
(each x [4 5] (assign es (+ es x)))
(each x @[6] (assign es (+ es x)))
(each x |7 8| (assign es (+ es x)))
(assert (= 36 es) "each over lists, arrays, @arrays and sets")
(var sc 0)
(each c "abcd" (assign sc (+ sc 1)))
(assert (= 4 sc) "each over a string")
(var ks 0)
(each kv {:a 1 :b 2}
  (let [[k v] kv]
    (assert (keyword? k) "each over a struct yields [k v]")
    (assign ks (+ ks v))))
(assert (= 3 ks) "each over a struct visits every entry")
(var fs @[])
(each x (fiber/new (fn [] (yield 1) (yield 2) nil) :yield) (push fs x))
(assert (= [1 2] fs) "each over a fiber resumes while the value is truthy")
(var fs2 @[])
(each x (fiber/new (fn [] (yield 1) (yield nil) (yield 3) nil) :yield) (push fs2 x))
(assert (= [1] fs2) "each over a fiber stops at a falsy value")

## quote.
(assert (symbol? 'abc) "quoted symbol")
(assert (= (list 1 2) '(1 2)) "quoted list")
(assert (= 'x (quote x)) "quote form")
(assert (= (list 'a (list 'b)) '(a (b))) "nested quoted list")

## match.
(defn classify [v]
  (match v
    0 :zero
    "s" :string
    :k :keyword
    [a b] [:pair a b]
    [a & more] [:array a (length more)]
    (h & t) [:list h (length t)]
    {:tag t} [:tagged t]
    (or 10 20) :ten-or-twenty
    n when (and (number? n) (> n 100)) :big
    _ :other))
(assert (= :zero (classify 0)) "match int literal")
(assert (= :string (classify "s")) "match string literal")
(assert (= :keyword (classify :k)) "match keyword literal")
(assert (= [:pair 1 2] (classify [1 2])) "match [a b]")
(assert (= [:array 1 2] (classify [1 2 3])) "match [a & rest]")
(assert (= [:list 1 2] (classify (list 1 2 3))) "match (x & rest)")
(assert (= [:tagged :x] (classify {:tag :x})) "match {:k pat}")
(assert (= :ten-or-twenty (classify 20)) "match (or ...)")
(assert (= :big (classify 150)) "match guard")
(assert (= :other (classify 5)) "match catch-all")
(assert (= :other (classify "t")) "match catch-all on a string")
(assert (= 10 (match 5 x (* x 2))) "a binding symbol as the last arm")
(assert (= 7 (match [1 [2 3]] [a [b c]] (+ a b c 1) _ 0)) "nested array patterns")
(assert (= 12 (match {:w 3 :h 4} {:w w :h h} (* w h) _ 0)) "struct pattern with two keys")

## emit, yield, error.
(def ef (fiber/new (fn [] (emit :yield 1) (yield 2) (error 3) :end) |:yield :error|))
(assert (= 1 (fiber/resume ef)) "(emit :yield v)")
(assert (= 2 (fiber/bits ef)) "emit :yield bits")
(assert (= 2 (fiber/resume ef)) "(yield v)")
(assert (= 3 (fiber/resume ef)) "(error v)")
(assert (= 1 (fiber/bits ef)) "error bits")
(assert (= :end (fiber/resume ef)) "resumed after a caught error")
(assert (nil? (fiber/resume (fiber/new (fn [] (yield)) :yield))) "(yield) without a value")
(assert (= [false nil] (protect (error))) "(error) without a value")
(def emit-sig :yield)
(assert (= :dyn (fiber/resume (fiber/new (fn [] (emit emit-sig :dyn)) :yield))) "emit primitive with a variable signal")

## protect, try/catch, defer.
(assert (= [true 3] (protect (+ 1 2))) "protect success")
(assert (= [false :e] (protect (error :e))) "protect failure")
(assert (= :division-by-zero (get (get (protect (/ 1 0)) 1) :error)) "protect catches primitive errors")
(assert (= [true 2] (protect 1 2)) "protect with several body forms")
(assert (= 42 (try 42 (catch e 0))) "try value")
(assert (= :caught (try (error :x) (catch e :caught))) "catch handler value")
(assert (= :x (try (error :x) (catch e e))) "catch binds the error")
(assert (= :second (try (try (error :first) (catch e (error :second))) (catch e e))) "rethrow from a handler")
(var cleaned 0)
(assert (= 5 (defer (assign cleaned (+ cleaned 1)) 5)) "defer returns the body value")
(assert (= 1 cleaned) "defer runs its cleanup")
(assert (= [false :boom] (protect (defer (assign cleaned (+ cleaned 1)) (error :boom)))) "defer re-raises")
(assert (= 2 cleaned) "defer runs its cleanup on error")

(println "forms: ok")
