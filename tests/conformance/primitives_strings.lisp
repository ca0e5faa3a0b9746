# Conformance: docs/language.md sections 9.13 and 9.16, strings and output. Exits 0 when
# every assertion holds.

(defn to-array [coll]
  (var out @[])
  (each x coll (push out x))
  out)

## string concatenates display forms.
(assert (= "" (string)) "(string) is empty")
(assert (= "abc" (string "a" "b" "c")) "string concatenates")
(assert (= "x1" (string "x" 1)) "string with a number")
(assert (= "kw" (string :kw)) "string of a keyword has no colon")
(assert (= "a1.5nil" (string "a" 1.5 nil)) "string of mixed values")

## string/length, string-contains?.
(assert (= 5 (string/length "hello")) "string/length")
(assert (= 0 (string/length "")) "string/length empty")
(assert (string-contains? "hello world" "o w") "string-contains?")
(assert (not (string-contains? "hello" "xyz")) "string-contains? missing")
(assert (string-contains? "abc" "abc") "a string contains itself")
(assert (string-contains? "abc" "") "every string contains the empty string")

## string/split, string/join.
(assert (= ["a" "b" "c"] (to-array (string/split "a,b,c" ","))) "string/split")
(assert (= ["abc"] (to-array (string/split "abc" ","))) "string/split without the separator")
(assert (= ["a" "" "b"] (to-array (string/split "a,,b" ","))) "string/split keeps empty fields")
(assert (= "a-b-c" (string/join (list "a" "b" "c") "-")) "string/join a list")
(assert (= "a-b" (string/join ["a" "b"] "-")) "string/join an array")
(assert (= "ab" (string/join (list "a" "b") "")) "string/join with an empty separator")
(assert (= "" (string/join (list) ",")) "string/join nothing")
(assert (= "a,b,c" (string/join (string/split "a,b,c" ",") ",")) "split then join")

## Strings compare by content.
(assert (= "ab" (string "a" "b")) "built strings equal literals")
(assert (< "abc" "abd") "lexicographic order")
(assert (string? (string 1)) "string returns a string")

## print and println return normally (their output goes to the VM's output stream).
(print "")
(println "strings: ok")
