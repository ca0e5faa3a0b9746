# println shows keywords without the colon and strings without quotes, also inside
# arrays, @arrays and lists; nil, true and false print as words; floats keep .0.
(println [1 :kw "s" (list 2)])     # expect: [1 kw s (2)]
(println @["a" :b])                # expect: @[a b]
(println (list "x" :y 'z 1.0))     # expect: (x y z 1.0)
(println [[1 2] (list [3])])       # expect: [[1 2] ([3])]
(println "plain")                  # expect: plain
(println :keyword)                 # expect: keyword
(println nil)                      # expect: nil
(println true)                     # expect: true
(println false)                    # expect: false
(println 2.0)                      # expect: 2.0
(println -3)                       # expect: -3
(println ())                       # expect: ()
