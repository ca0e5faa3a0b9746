# generators.lisp: generators built from fibers.
#
# A generator is a fiber whose mask catches :yield. Each resume runs it to its next
# (yield v) and returns v; `each` over a fiber resumes it while the value is truthy.
# Generators compose (evens-of filters another generator), and resume can also send
# values *into* a generator: the resume value becomes the value of the pending yield.
#
# Output:
# expect: 0
# expect: 1
# expect: 2
# expect: first ten Fibonacci numbers: [0 1 1 2 3 5 8 13 21 34]
# expect: even squares below 50: [0 4 16 36]
# expect: running total: 5
# expect: running total: 15
# expect: running total: 18

# Counts from lo up to hi - 1, then returns nil, which ends an `each`.
(defn range-gen [lo hi]
  (fiber/new (fn []
               (var i lo)
               (while (< i hi)
                 (yield i)
                 (assign i (+ i 1)))
               nil)
             :yield))

(each n (range-gen 0 3)
  (println n))

# An endless generator; take-n resumes it as often as it needs.
(defn fibonacci []
  (fiber/new (fn []
               (var a 0)
               (var b 1)
               (forever
                 (yield a)
                 (let [sum (+ a b)]
                   (assign a b)
                   (assign b sum))))
             :yield))

(defn take-n [n gen]
  (def out @[])
  (while (< (length out) n)
    (push out (fiber/resume gen)))
  (freeze out))

(println (string "first ten Fibonacci numbers: " (take-n 10 (fibonacci))))

# A generator that consumes another one.
(defn squares-below [limit]
  (fiber/new (fn []
               (var i 0)
               (while (< (* i i) limit)
                 (yield (* i i))
                 (assign i (+ i 1)))
               nil)
             :yield))

(defn evens-of [gen]
  (fiber/new (fn []
               (each x gen
                 (when (= 0 (rem x 2)) (yield x)))
               nil)
             :yield))

(defn collect [gen]
  (def out @[])
  (each x gen (push out x))
  (freeze out))

(println (string "even squares below 50: " (collect (evens-of (squares-below 50)))))

# Sending values in: the first resume passes the starting value as the fn's argument,
# later resumes become the values of (yield total).
(def totaliser
  (fiber/new (fn [start]
               (var total start)
               (forever
                 (assign total (+ total (yield total)))))
             :yield))

(println (string "running total: " (fiber/resume totaliser 5)))
(println (string "running total: " (fiber/resume totaliser 10)))
(println (string "running total: " (fiber/resume totaliser 3)))
