# Float literals: `1.5`, `1e10`, `2.5E-3`, `1.`; `.5` reads as a symbol.
(println 1.5)                   # expect: 1.5
(println -0.25)                 # expect: -0.25
(println 3.0)                   # expect: 3.0
(println 1.)                    # expect: 1.0
(println 2.5E-3)                # expect: 0.0025
(println (float? 1e10))         # expect: true
(println (= 1e10 10000000000))  # expect: true
(println (float? 1.))           # expect: true
(println (symbol? '.5))         # expect: true
(println '.5)                   # expect: .5
