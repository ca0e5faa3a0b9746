# Large collections built in loops.
(def xs @[])
(var i 0)
(while (< i 100000)
  (push xs i)
  (assign i (+ i 1)))
(println (length xs))         # expect: 100000
(println (get xs -1))         # expect: 99999
(println (fold + 0 xs))       # expect: 4999950000
