# `a:b` inside a symbol means `(get a :b)`, and chains: `a:b:c`.
(def config {:server {:port 8080 :host "localhost"}})
(println config:server:port)  # expect: 8080
(println config:server:host)  # expect: localhost
(def point {:x 3 :y 4})
(println (+ point:x point:y)) # expect: 7
(println point:z)             # expect: nil
(defn norm2 [p] (+ (* p:x p:x) (* p:y p:y)))
(println (norm2 point))       # expect: 25
