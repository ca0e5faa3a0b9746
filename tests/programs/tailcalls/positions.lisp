# Tail positions: if arms, begin, let, letrec, block, cond, match, and/or last operand.
(def n 30000)
(defn via-begin [i] (begin 1 (if (= i 0) :begin (via-begin (- i 1)))))
(defn via-let [i] (let [j (- i 1)] (if (< j 0) :let (via-let j))))
(defn via-letrec [i] (letrec [one 1] (if (= i 0) :letrec (via-letrec (- i one)))))
(defn via-block [i] (block :b (if (= i 0) :block (via-block (- i 1)))))
(defn via-cond [i] (cond (= i 0) :cond (via-cond (- i 1))))
(defn via-cond-arm [i] (cond (> i 0) (via-cond-arm (- i 1)) :cond-arm))
(defn via-match [i] (match i 0 :match _ (via-match (- i 1))))
(defn via-and [i] (if (= i 0) :and (and true (via-and (- i 1)))))
(defn via-or [i] (or (= i 0) (via-or (- i 1))))
(println (via-begin n))     # expect: begin
(println (via-let n))       # expect: let
(println (via-letrec n))    # expect: letrec
(println (via-block n))     # expect: block
(println (via-cond n))      # expect: cond
(println (via-cond-arm n))  # expect: cond-arm
(println (via-match n))     # expect: match
(println (via-and n))       # expect: and
(println (via-or n))        # expect: true
