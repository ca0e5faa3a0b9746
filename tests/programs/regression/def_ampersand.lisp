# Regression: (def & 1) crashed the compiler with a Python AttributeError; & and &opt
# mark rest and optional parameters and cannot be names.
(def & 1)                # expect compile error: def: & cannot be a name
