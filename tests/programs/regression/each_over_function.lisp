# An error about a value a prelude form holds names it as written, not by the expansion's
# internal name (found by tests/test_grammar.py: the interpreter and the JIT printed
# different internal names).
(println (try (each v (fn [] 1) v) (catch {:message m} m)))   # expect: each: cannot iterate over <closure fn>
