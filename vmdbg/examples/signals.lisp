# signals.lisp: a user signal and :yield travelling out through nested fibers.
#
# (signal :log) declares a user signal; it gets the first user bit, 2^32. The leaf fiber
# emits :log messages and yields. The leaf's mask is 0 and the middle fiber's mask only
# catches :error, so each signal pauses the leaf *and* the middle fiber and is caught by
# the outer fiber's mask |:log :yield|. Resuming the outer fiber resumes the inner ones
# first, so the value given to resume becomes the value of the leaf's (yield ...).
#
# Output:
# expect: log: leaf starting
# expect: leaf is paused, middle is paused
# expect: yield: need a number
# expect: log: leaf got 4
# expect: result: 41
# expect: the :log bit is 4294967296

(signal :log)

(defn leaf-body []
  (emit :log "leaf starting")
  (def got (yield "need a number"))
  (emit :log (string "leaf got " got))
  (+ (* got 10) 1))

(def leaf (fiber/new leaf-body 0))
(def middle (fiber/new (fn [] (fiber/resume leaf)) :error))
(def outer (fiber/new (fn [] (fiber/resume middle)) |:log :yield|))

# Drive the outer fiber until it finishes, answering each signal the leaf sends.
(var payload (fiber/resume outer))
(var first-pause true)
(while (not= (fiber/status outer) :dead)
  (if (= (fiber/bits leaf) 2)
    (begin
      (println (string "yield: " payload))
      (assign payload (fiber/resume outer 4)))
    (begin
      (println (string "log: " payload))
      (when first-pause
        (println (string "leaf is " (fiber/status leaf) ", middle is " (fiber/status middle)))
        (assign first-pause false))
      (assign payload (fiber/resume outer)))))

(println (string "result: " payload))
(println (string "the :log bit is " (fiber/mask (fiber/new leaf-body :log))))
