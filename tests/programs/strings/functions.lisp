# string/length, string-contains?, string/split, string/join.
(println (string/length "hello"))                      # expect: 5
(println (string/length ""))                           # expect: 0
(println (string-contains? "hello world" "o w"))       # expect: true
(println (string-contains? "hello" "xyz"))             # expect: false
(println (length (string/split "x y z" " ")))          # expect: 3
(println (string/join (string/split "a,b,c" ",") "-")) # expect: a-b-c
(println (string/join (list "vm" "dbg") ""))           # expect: vmdbg
