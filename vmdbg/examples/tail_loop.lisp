# tail_loop.lisp: a tail-recursive loop of 1,000,000 iterations.
#
# The recursive call is in tail position, so it compiles to TailCall, which reuses the
# caller's frame: the loop runs in constant stack space, a hundred times deeper than the
# 10,000-frame limit on non-tail calls. Mutual recursion in tail position works the same.
#
# Output:
# expect: sum of 0..999999 = 499999500000
# expect: 100000 is even: true

(defn sum-below [i n acc]
  (if (= i n)
    acc
    (sum-below (+ i 1) n (+ acc i))))

(println (string "sum of 0..999999 = " (sum-below 0 1000000 0)))

(defn even-steps? [n] (if (= n 0) true (odd-steps? (- n 1))))
(defn odd-steps? [n] (if (= n 0) false (even-steps? (- n 1))))

(println (string "100000 is even: " (even-steps? 100000)))
