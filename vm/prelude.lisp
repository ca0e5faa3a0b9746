# The prelude: library functions written in the language itself, so stepping into
# them works like stepping into user code.

(defn map [f coll]
  (def items (%each-items coll))
  (def n (length items))
  (def out @[])
  (var i 0)
  (while (< i n)
    (push out (f (get items i)))
    (assign i (+ i 1)))
  (%shape-like coll out))

(defn filter [pred coll]
  (def items (%each-items coll))
  (def n (length items))
  (def out @[])
  (var i 0)
  (while (< i n)
    (def x (get items i))
    (if (pred x) (push out x))
    (assign i (+ i 1)))
  (%shape-like coll out))

(defn fold [f init coll]
  (def items (%each-items coll))
  (def n (length items))
  (var acc init)
  (var i 0)
  (while (< i n)
    (assign acc (f acc (get items i)))
    (assign i (+ i 1)))
  acc)
