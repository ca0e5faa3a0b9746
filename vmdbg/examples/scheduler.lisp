# scheduler.lisp: a fuel-preemptive round-robin scheduler.
#
# Each task is a fiber whose mask catches :fuel. On its turn a task gets a slice of fuel
# and is resumed; when the slice is used up it pauses with :fuel (its fuel reads 0) and
# the scheduler moves on, refuelling it on its next turn. The tasks never yield: fuel
# alone preempts them. Shorter tasks finish in earlier rounds, so the order below holds
# whatever the exact instruction counts are.
#
# Output:
# expect: task c finished: sum 1..10 = 55
# expect: task a finished: sum 1..50 = 1275
# expect: task b finished: sum 1..200 = 20100
# expect: every task was preempted: true
# expect: all tasks done

(def time-slice 20)

(defn make-task [name n]
  (fiber/new (fn []
               (var total 0)
               (var i 1)
               (while (<= i n)
                 (assign total (+ total i))
                 (assign i (+ i 1)))
               (string "task " name " finished: sum 1.." n " = " total))
             :fuel))

(def tasks [(make-task "a" 50) (make-task "b" 200) (make-task "c" 10)])
(def preempted @[false false false])

# One turn: refuel, resume, and either report the result or note the preemption.
(defn run-turn [index]
  (def task (get tasks index))
  (fiber/set-fuel task time-slice)
  (def result (fiber/resume task))
  (if (= (fiber/status task) :dead)
    (println result)
    (begin
      (assert (= (fiber/bits task) 4096) "tasks only ever pause for fuel")
      (assert (= (fiber/fuel task) 0) "a preempted task has used its whole slice")
      (put preempted index true))))

(defn alive? [index] (not= (fiber/status (get tasks index)) :dead))

(var running (length tasks))
(while (> running 0)
  (assign running 0)
  (each index (range (length tasks))
    (when (alive? index)
      (run-turn index)
      (when (alive? index)
        (assign running (+ running 1))))))

(println (string "every task was preempted: " (= preempted [true true true])))
(println "all tasks done")
