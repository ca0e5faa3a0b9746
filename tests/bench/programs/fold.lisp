(println (fold + 0 (range 1000000)))
