# 'x and (quote x) return the datum unevaluated.
(println 'hello)                       # expect: hello
(println '(1 two "three" :four))       # expect: (1 two three four)
(println (quote (a (b c))))            # expect: (a (b c))
(println (symbol? 'x))                 # expect: true
(println (pair? '(1)))                 # expect: true
(println (first '(x y)))               # expect: x
(println (rest '(x y)))                # expect: (y)
(println (= 'a 'a))                    # expect: true
(println (length '(1 2 3)))            # expect: 3
