# def inside a function body behaves like top-level defs within that body.
(defn parity [n]
  (def ev? (fn [k] (if (= k 0) :even (od? (- k 1)))))
  (def od? (fn [k] (if (= k 0) :odd (ev? (- k 1)))))
  (ev? n))
(println (parity 4))   # expect: even
(println (parity 7))   # expect: odd
(defn area [w h]
  (def width (* w 2))
  (def height (+ width h))
  (* width height))
(println (area 2 1))   # expect: 20
