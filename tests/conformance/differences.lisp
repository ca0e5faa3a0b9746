# Conformance: docs/language.md section 10, deliberate differences from Elle. Exits 0 when
# every assertion holds.

## Integers are arbitrary precision: no wrapping, no :overflow, big literals read exactly.
(assert (= 9223372036854775808 (+ 9223372036854775807 1)) "i64 max + 1")
(assert (= -9223372036854775809 (- -9223372036854775808 1)) "i64 min - 1")
(assert (= 18446744073709551616 (* 4294967296 4294967296)) "2^32 * 2^32")
(assert (int? (* 4294967296 4294967296)) "still an integer")
(assert (= 340282366920938463463374607431768211456 (bit/shl 1 128)) "2^128")
(assert (= 99999999999999999999999999 (+ 99999999999999999999999998 1)) "big literals")
(defn fact [n] (if (= n 0) 1 (* n (fact (- n 1)))))
(assert (= 15511210043330985984000000 (fact 25)) "25!")
(defn sum-squares [n acc] (if (= n 0) acc (sum-squares (- n 1) (+ acc (* n n 1000000000000000000)))))
(assert (= 338350000000000000000000 (sum-squares 100 0)) "many big intermediate results")

## Stack overflow is a catchable :error of kind :stack-overflow, well past Elle's depth 200.
(defn down [n] (if (= n 0) 0 (+ 1 (down (- n 1)))))
(assert (= 1000 (down 1000)) "1,000 non-tail calls are fine")
(defn sink [n] (+ 1 (sink n)))
(let [[ok? e] (protect (sink 0))]
  (assert (not ok?) "overflow is caught by protect")
  (assert (= :stack-overflow (get e :error)) "with kind :stack-overflow"))
(def sf (fiber/new (fn [] (sink 0)) :error))
(assert (= :stack-overflow (get (fiber/resume sf) :error)) "an :error mask catches it")

## Fuel counts every instruction, straight-line code included.
(def sl (fiber/new (fn [] (let [x (inc 1)] (+ x 1))) :fuel))
(fiber/set-fuel sl 1)
(assert (nil? (fiber/resume sl)) "straight-line code runs out of fuel")
(assert (= :paused (fiber/status sl)) "and pauses")
(assert (= 0 (fiber/fuel sl)) "at fuel 0")
(fiber/set-fuel sl 100)
(assert (= 3 (fiber/resume sl)) "and finishes when refuelled")

## print and println do not raise :io.
(def pio (fiber/new (fn [] (print "") (println "differences: println inside an :io fiber") :printed) :io))
(assert (= :printed (fiber/resume pio)) "println does not emit :io")
(assert (= :dead (fiber/status pio)) "the fiber ran to the end")
(assert (= 0 (fiber/bits pio)) "no signal was raised")

(println "differences: ok")
