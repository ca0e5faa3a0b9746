# demo.lisp: the program vmdbg opens when no file is given.
#
# Short enough to step through, it shows what this VM is about:
#   1. fibers:  a producer fiber yields squares to the top level, which resumes it;
#   2. signals: a worker emits a user signal, :progress, that its supervisor catches;
#   3. fuel:    the worker runs on a small fuel budget and is refuelled each time it
#               pauses with :fuel;
#   4. errors:  a division by zero is caught with protect.
#
# Output:
# expect: produced 1
# expect: produced 4
# expect: produced 9
# expect: progress 5
# expect: progress 10
# expect: progress 15
# expect: progress 20
# expect: worker result 210, refuelled: true
# expect: 10 / 2 = 5
# expect: 10 / 0 failed: division-by-zero

(signal :progress)

(defn squares [n]
  (fiber/new (fn []
               (var i 1)
               (while (<= i n)
                 (yield (* i i))
                 (assign i (+ i 1)))
               nil)
             :yield))

(defn sum-to [n]
  (var total 0)
  (var i 1)
  (while (<= i n)
    (assign total (+ total i))
    (when (= 0 (rem i 5)) (emit :progress i))
    (assign i (+ i 1)))
  total)

(defn supervise [worker fuel]
  (var refuels 0)
  (fiber/set-fuel worker fuel)
  (var value (fiber/resume worker))
  (while (not= (fiber/status worker) :dead)
    (if (= (fiber/bits worker) 4096)
      (begin
        (assign refuels (+ refuels 1))
        (fiber/set-fuel worker fuel))
      (println (string "progress " value)))
    (assign value (fiber/resume worker)))
  [value refuels])

(defn safe-div [a b]
  (let [[ok? v] (protect (/ a b))]
    (if ok?
      (string a " / " b " = " v)
      (string a " / " b " failed: " (get v :error)))))

(each sq (squares 3)
  (println (string "produced " sq)))

(def worker (fiber/new (fn [] (sum-to 20)) |:fuel :progress|))
(def [result refuels] (supervise worker 30))
(println (string "worker result " result ", refuelled: " (> refuels 0)))

(println (safe-div 10 2))
(println (safe-div 10 0))
