# Mutual tail calls run in constant space.
(defn ping [n] (if (= n 0) :ping-ends (pong (- n 1))))
(defn pong [n] (if (= n 0) :pong-ends (ping (- n 1))))
(println (ping 50000))   # expect: ping-ends
(println (ping 50001))   # expect: pong-ends
