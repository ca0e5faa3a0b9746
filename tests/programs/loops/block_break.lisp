# block returns its last value unless a break leaves it early with a value.
(println (block 1 2 3))                      # expect: 3
(println (block (break 7) 8))                # expect: 7
(println (block :outer
           (block :inner
             (break :outer :from-inner)
             :not-this)
           :nor-this))                       # expect: from-inner
(println (block :find
           (each x [1 5 8 3]
             (when (> x 4) (break :find x)))
           :none))                           # expect: 5
(println (block :b (break) 1))               # expect: nil
(println (block :w (while true (break :w 42))))  # expect: 42
