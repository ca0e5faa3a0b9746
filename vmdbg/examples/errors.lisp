# errors.lisp: handling errors with protect, try/catch and defer.
#
# protect runs its body in a fiber whose mask catches :error and returns [ok? value];
# try/catch binds the error for a handler; defer always runs its cleanup and then
# re-raises any error. Primitives raise structs {:error :kind :message "..."}; a
# program can raise any value, including its own struct of that shape.
#
# Output:
# expect: 10 / 2 -> [true 5]
# expect: 10 / 0 -> ok? false, kind division-by-zero
# expect: isqrt 49 = 7
# expect: isqrt -4 failed: negative-input
# expect: open log
# expect: close log
# expect: result: written
# expect: open disk
# expect: close disk
# expect: after defer: [false disk-full]
# expect: attempt failed: flaky
# expect: attempt failed: flaky
# expect: retry gave: succeeded

# protect
(println (string "10 / 2 -> " (protect (/ 10 2))))
(let [[ok? err] (protect (/ 10 0))]
  (println (string "10 / 0 -> ok? " ok? ", kind " (get err :error))))

# try / catch with a program-defined error struct
(defn isqrt [n]
  (when (< n 0)
    (error {:error :negative-input :message (string "negative input: " n)}))
  (var r 0)
  (while (<= (* (+ r 1) (+ r 1)) n)
    (assign r (+ r 1)))
  r)

(defn describe-isqrt [n]
  (try
    (string "isqrt " n " = " (isqrt n))
    (catch e (string "isqrt " n " failed: " (get e :error)))))

(println (describe-isqrt 49))
(println (describe-isqrt -4))

# defer: the cleanup runs on the way out, error or not
(defn with-resource [name body]
  (println (string "open " name))
  (defer (println (string "close " name))
    (body)))

(println (string "result: " (with-resource "log" (fn [] :written))))
(def outcome (protect (with-resource "disk" (fn [] (error :disk-full)))))
(println (string "after defer: " outcome))

# retrying with protect
(var attempts 0)
(defn flaky []
  (assign attempts (+ attempts 1))
  (if (< attempts 3) (error :flaky) :succeeded))

(defn retry [f tries]
  (var left tries)
  (var outcome nil)
  (while (and (> left 0) (nil? outcome))
    (let [[ok? v] (protect (f))]
      (if ok?
        (assign outcome v)
        (println (string "attempt failed: " v))))
    (assign left (- left 1)))
  outcome)

(println (string "retry gave: " (retry flaky 5)))
