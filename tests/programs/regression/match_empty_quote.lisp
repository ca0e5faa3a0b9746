# A (quote) with no datum as a match pattern is a compile error, not a crash (found by tests/test_grammar.py).
(println (match 1 ((quote) 2) 2 _ 3))
# expect compile error: malformed quote pattern
