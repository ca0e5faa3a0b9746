# String literals: escapes \n \t \r \\ \" and strings spanning lines.
(println "say \"hi\"")            # expect: say "hi"
(println "back\\slash")           # expect: back\slash
(println "two\nlines")            # expect: two
                                  # expect: lines
(println (string/length "a\tb"))  # expect: 3
(println (string/length "a\rb"))  # expect: 3
(println (string/length "\\"))    # expect: 1
(println "first line
second line")                     # expect: first line
                                  # expect: second line
(println (string/length "x
y"))                              # expect: 3
