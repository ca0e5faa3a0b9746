#!/usr/bin/env vmdbg run
# Conformance: docs/language.md section 1, reading. Exits 0 when every assertion holds.
## A double-hash comment. The shebang line above is ignored.

# Comments run to the end of the line, even inside a form.
(assert (= 3 (+ 1 # a comment inside a form
              2)) "comment inside a form")
(assert (= 5 (string/length "a # b")) "# inside a string is not a comment")

# Integers: sign, decimal, 0x/0o/0b, underscores, any size.
(assert (= 255 0xff) "hex literal")
(assert (= 15 0o17) "octal literal")
(assert (= 5 0b101) "binary literal")
(assert (= 1000000 1_000_000) "underscores between digits")
(assert (= -16 -0x10) "signed hex literal")
(assert (= 5 +5) "explicit plus sign")
(assert (= -5 (- 0 5)) "negative literal")
(assert (int? 123456789012345678901234567890) "a literal beyond 64 bits is an integer")
(assert (= 100000000000000000000 (* 10000000000 10000000000)) "a literal beyond 64 bits reads exactly")

# Floats: 1.5, 1e10, 2.5E-3, 1.; .5 is a symbol.
(assert (float? 1.5) "1.5 is a float")
(assert (= 1.5 (/ 3.0 2)) "1.5 value")
(assert (float? 1e10) "1e10 is a float")
(assert (= 1e10 10000000000) "1e10 value")
(assert (= 2.5E-3 0.0025) "2.5E-3 value")
(assert (float? 1.) "1. is a float")
(assert (= 1. 1) "1. value")
(assert (symbol? '.5) ".5 reads as a symbol")

# Strings: escapes and line spans.
(assert (= 1 (string/length "\n")) "\\n is one character")
(assert (= 1 (string/length "\t")) "\\t is one character")
(assert (= 1 (string/length "\r")) "\\r is one character")
(assert (= 1 (string/length "\\")) "\\\\ is one character")
(assert (= 1 (string/length "\"")) "\\\" is one character")
(assert (= "line1
line2" "line1\nline2") "a string may span lines")

# true, false, nil, keywords, symbols.
(assert (= true (not false)) "true and false")
(assert (nil? nil) "nil")
(assert (keyword? :name) "keyword")
(assert (symbol? 'some-name?) "symbol with punctuation")
(assert (= 'abc 'abc) "symbols with the same name are equal")
(assert (not (= :abc 'abc)) "a keyword is not a symbol")

# a:b means (get a :b), and chains.
(def cfg {:db {:port 5432 :host "h"}})
(assert (= 5432 cfg:db:port) "a:b:c chains")
(assert (= cfg:db (get cfg :db)) "a:b is (get a :b)")
(assert (nil? cfg:missing) "a:b of a missing key is nil")

# Collection literals; elements are evaluated.
(def seven 7)
(assert (array? [1 2]) "[...] is an array")
(assert (= [7 8] [seven (+ seven 1)]) "array literal elements are evaluated")
(assert (= 7 (get {:k seven} :k)) "struct literal values are evaluated")
(def ma @[1])
(push ma 2)
(assert (= [1 2] ma) "@[...] is mutable")
(assert (struct? {:a 1}) "{...} is a struct")
(def ms @{:a 1})
(put ms :b 2)
(assert (= 2 (get ms :b)) "@{...} is mutable")
(assert (set? |1 2|) "|...| is a set")
(assert (= 2 (length |1 2|)) "set literal size")
(assert (has? @|1| 1) "@|...| is a set")
(assert (pair? '(1 2)) "a quoted (...) is a list")
(assert (= () '()) "() reads as the empty list")

# Quote.
(assert (= 'x (quote x)) "'x is (quote x)")
(assert (= (list 1 2) '(1 2)) "quoted list")
(assert (= 'y (first (rest '(x y)))) "quoted symbols stay symbols")

# [...] and (...) are interchangeable as parameter lists and binding vectors.
(assert (= 3 ((fn (a b) (+ a b)) 1 2)) "(...) parameter list")
(assert (= 3 ((fn [a b] (+ a b)) 1 2)) "[...] parameter list")
(assert (= 3 (let (a 1 b 2) (+ a b))) "(...) binding vector")
(defn paren-params (x) (* x 2))
(assert (= 8 (paren-params 4)) "defn with (...) parameters")

(println "reading: ok")
