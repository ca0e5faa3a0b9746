# An empty (or) or (quote) as a match pattern is a compile error, not a crash (found by tests/test_grammar.py).
(println (match 1 ((or) 2) 2 _ 3))
# expect compile error: malformed or pattern
