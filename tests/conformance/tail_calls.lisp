# Conformance: docs/language.md section 8, tail calls. Exits 0 when every assertion holds.
# Each loop runs far deeper than the default 10,000-frame limit, so it only passes if the
# call in that position is a TailCall.

(def deep 30000)

(defn error-kind [thunk]
  (let [[ok? e] (protect (thunk))]
    (if ok? :no-error (get e :error))))

## A function body's last form; both arms of if.
(defn self-loop [i acc] (if (= i 0) acc (self-loop (- i 1) (+ acc 1))))
(assert (= 1000000 (self-loop 1000000 0)) "1,000,000-deep self tail recursion")
(defn then-arm [i] (if (> i 0) (then-arm (- i 1)) :then-arm))
(assert (= :then-arm (then-arm deep)) "the then arm of if")

## Mutual tail recursion.
(defn ev? [n] (if (= n 0) true (od? (- n 1))))
(defn od? [n] (if (= n 0) false (ev? (- n 1))))
(assert (ev? 100000) "100,000-deep mutual tail recursion")
(assert (od? 100001) "100,001-deep mutual tail recursion")

## begin, let, letrec, block in tail position.
(defn via-begin [i] (begin :ignored (if (= i 0) :begin (via-begin (- i 1)))))
(assert (= :begin (via-begin deep)) "begin")
(defn via-let [i] (let [j (- i 1)] (if (< j 0) :let (via-let j))))
(assert (= :let (via-let deep)) "let")
(defn via-letrec [i] (letrec [one 1] (if (= i 0) :letrec (via-letrec (- i one)))))
(assert (= :letrec (via-letrec deep)) "letrec")
(defn via-block [i] (block :b (if (= i 0) :block (via-block (- i 1)))))
(assert (= :block (via-block deep)) "block")

## cond and match bodies.
(defn via-cond [i] (cond (= i 0) :cond (via-cond (- i 1))))
(assert (= :cond (via-cond deep)) "cond default")
(defn via-cond-arm [i] (cond (> i 0) (via-cond-arm (- i 1)) :cond-arm))
(assert (= :cond-arm (via-cond-arm deep)) "cond arm")
(defn via-match [i] (match i 0 :match _ (via-match (- i 1))))
(assert (= :match (via-match deep)) "match catch-all arm")
(defn via-match-guard [i] (match i n when (> n 0) (via-match-guard (- n 1)) _ :guard))
(assert (= :guard (via-match-guard deep)) "match guarded arm")

## The last operand of and / or.
(defn via-and [i] (if (= i 0) :and (and true (via-and (- i 1)))))
(assert (= :and (via-and deep)) "and")
(defn via-or [i] (or (= i 0) (via-or (- i 1))))
(assert (= true (via-or deep)) "or")

## Tail calls through closures and higher-order arguments.
(defn bounce [f i] (if (= i 0) :bounced (f f (- i 1))))
(defn bounce-back [self i] (bounce self i))
(assert (= :bounced (bounce bounce-back deep)) "tail calls to closures passed as arguments")
(def lam-loop (fn [i] (if (= i 0) :lambda (lam-loop (- i 1)))))
(assert (= :lambda (lam-loop deep)) "a closure bound with def")

## Inside a fiber too.
(def tf (fiber/new (fn [] (self-loop 100000 0)) 0))
(assert (= 100000 (fiber/resume tf)) "tail calls in a fiber")

## A call that is not in tail position does use the stack.
(defn not-tail [i] (if (= i 0) 0 (+ 1 (not-tail (- i 1)))))
(assert (= :stack-overflow (error-kind (fn [] (not-tail deep)))) "non-tail recursion overflows")

(println "tail calls: ok")
