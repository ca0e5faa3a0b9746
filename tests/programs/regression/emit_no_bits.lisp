# Regression: an emit whose literal signal names no bits (0, or an empty set) compiled
# to an Emit the verifier refused, reported as an internal "verify error" with no
# FILE:LINE:COL. It is a compile error at the signal.
(fiber/new (fn [] (emit || 1)) 1)   # expect compile error: emit: no signal bits
