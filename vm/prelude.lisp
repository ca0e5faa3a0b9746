# The prelude: library functions written in the language itself, so stepping into
# them works like stepping into user code.
#
# %each-items copies a collection's elements into an array (list items, string
# characters, set members, struct [key value] pairs); %shape-like turns the @array
# of results back into the argument's kind (a list for a list, a set for a set...).

(defn map [f coll]
  (def items (%each-items coll "map"))
  (def n (length items))
  (def out @[])
  (var i 0)
  (while (< i n)
    (push out (f (get items i)))
    (assign i (+ i 1)))
  (%shape-like coll out))

(defn filter [pred coll]
  (def items (%each-items coll "filter"))
  (def n (length items))
  (def out @[])
  (var i 0)
  (while (< i n)
    (def x (get items i))
    (if (pred x) (push out x))
    (assign i (+ i 1)))
  (%shape-like coll out))

(defn fold [f init coll]
  (def items (%each-items coll "fold"))
  (def n (length items))
  (var acc init)
  (var i 0)
  (while (< i n)
    (assign acc (f acc (get items i)))
    (assign i (+ i 1)))
  acc)

# The other library functions that call functions they are given (all?, find, sort-with,
# compose, memoize...) are primitives written as state machines (vm/primitives/library.py).
# The first closure here is their loop: it makes each call a task asks for, so no call
# nests the interpreter. The second makes the functions compose, partial, juxt,
# complement, constantly and memoize return. The third is fiber/abort: the fiber runs
# between raising the error in it and cleaning up after. fold goes along for reduce.
(%install-library
  (fn %drive [task]
    (while (get task 1)
      (%task-give task (apply (get task 1) (get task 2))))
    (get task 3))
  (fn %wrap [template]
    (fn [& args] (%apply-template template args)))
  (fn %abort [f v mask]
    (%abort-done f mask (%abort-raise f v)))
  fold)
