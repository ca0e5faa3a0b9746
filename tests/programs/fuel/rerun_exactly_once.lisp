# The :fuel pause happens before the instruction, so refuelling re-runs it: every side
# effect happens exactly once however small the slices are.
(def log @[])
(def f (fiber/new (fn []
                    (var i 0)
                    (while (< i 20)
                      (push log i)
                      (assign i (+ i 1)))
                    :done)
                  :fuel))
(var pauses 0)
(fiber/set-fuel f 3)
(var result (fiber/resume f))
(while (= (fiber/status f) :paused)
  (assert (= (fiber/fuel f) 0) "paused with fuel left")
  (assert (= (fiber/bits f) 4096) "paused for something other than fuel")
  (assign pauses (+ pauses 1))
  (fiber/set-fuel f 3)
  (assign result (fiber/resume f)))
(println result)                   # expect: done
(println (length log))             # expect: 20
(println (= (freeze log) [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19]))  # expect: true
(println (> pauses 10))            # expect: true
