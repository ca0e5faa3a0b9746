# Regression: user signal bits were allocated in reverse source order (the compiler's
# declaration scan walked the forms from the end), so the first (signal ...) got 2^33
# instead of 2^32. docs/language.md section 6 (Fibers and signals): bits go from 2^32 upward in declaration order.
(signal :first)
(signal :second)
(signal :third)
(defn mask-of [m] (fiber/mask (fiber/new (fn [] nil) m)))
(println (mask-of :first))    # expect: 4294967296
(println (mask-of :second))   # expect: 8589934592
(println (mask-of :third))    # expect: 17179869184
