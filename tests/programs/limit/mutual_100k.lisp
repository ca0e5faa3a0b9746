# 100,000-deep mutual tail recursion runs in constant space.
(defn even-steps? [n] (if (= n 0) true (odd-steps? (- n 1))))
(defn odd-steps? [n] (if (= n 0) false (even-steps? (- n 1))))
(println (even-steps? 100000))   # expect: true
(println (odd-steps? 100000))    # expect: false
