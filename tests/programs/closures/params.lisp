# Rest (& more, a list), optional (&opt, missing is nil) and mutable (@a) parameters.
(defn tail-of [a & more] more)
(println (tail-of 1 2 3))             # expect: (2 3)
(defn count-args [& xs] (length xs))
(println (count-args 1 2 3))          # expect: 3
(println (count-args))                # expect: 0
(defn greet [name &opt greeting]
  (string (if (nil? greeting) "hello" greeting) " " name))
(println (greet "vm"))                # expect: hello vm
(println (greet "vm" "hi"))           # expect: hi vm
(defn bump [@x] (assign x (+ x 1)) x)
(println (bump 1))                    # expect: 2
