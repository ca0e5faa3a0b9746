# Conformance: docs/language.md section 7, fuel. Exits 0 when every assertion holds.
# Exact instruction counts are never assumed; only the rules are.

(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)

## set-fuel, fuel, clear-fuel.
(def nf (fiber/new (fn [] (spin 10)) :fuel))
(assert (nil? (fiber/fuel nf)) "unlimited fuel reads nil")
(fiber/set-fuel nf 1000000)
(assert (= 1000000 (fiber/fuel nf)) "set-fuel")
(fiber/clear-fuel nf)
(assert (nil? (fiber/fuel nf)) "clear-fuel")
(assert (= 10 (fiber/resume nf)) "an unlimited fiber runs to the end")

## Running out: :fuel with payload nil, fuel 0, no progress until refuelled.
(def pf (fiber/new (fn [] (spin 300)) :fuel))
(fiber/set-fuel pf 25)
(assert (nil? (fiber/resume pf)) "the :fuel payload is nil")
(assert (= :paused (fiber/status pf)) "out of fuel pauses")
(assert (= 0 (fiber/fuel pf)) "fuel reads 0")
(assert (= 4096 (fiber/bits pf)) ":fuel bits")
(assert (nil? (fiber/value pf)) "value is the nil payload")
(assert (nil? (fiber/resume pf)) "resuming without fuel pauses again")
(assert (= 0 (fiber/fuel pf)) "still 0")
(fiber/set-fuel pf 1000000)
(assert (= 300 (fiber/resume pf)) "refuelled, it finishes")
(assert (= 0 (fiber/bits pf)) "bits 0 after the return")
(assert (< (fiber/fuel pf) 1000000) "the work consumed fuel")
(assert (> (fiber/fuel pf) 0) "and left some")

## Determinism and exactness: the pause comes before the instruction that would run.
(defn probe [] (spin 50))
(defn cost-of-probe []
  (def fb (fiber/new probe :fuel))
  (fiber/set-fuel fb 1000000)
  (fiber/resume fb)
  (- 1000000 (fiber/fuel fb)))
(def cost (cost-of-probe))
(assert (> cost 50) "fifty iterations cost more than fifty instructions")
(assert (= cost (cost-of-probe)) "the same program costs the same fuel")
(def exact (fiber/new probe :fuel))
(fiber/set-fuel exact cost)
(assert (= 50 (fiber/resume exact)) "exactly enough fuel finishes without a pause")
(assert (= 0 (fiber/fuel exact)) "and leaves fuel 0")
(assert (= :dead (fiber/status exact)) "and the fiber is dead")
(def short (fiber/new probe :fuel))
(fiber/set-fuel short (- cost 1))
(assert (nil? (fiber/resume short)) "one unit short pauses")
(assert (= :paused (fiber/status short)) "before the last instruction")
(fiber/set-fuel short 1)
(assert (= 50 (fiber/resume short)) "one more unit runs the last instruction")
(assert (= 0 (fiber/fuel short)) "fuel is used up exactly")

## Small slices: every side effect happens exactly once.
(def log @[])
(def slices (fiber/new (fn []
                         (var i 0)
                         (while (< i 30)
                           (push log i)
                           (assign i (+ i 1)))
                         :done)
                       :fuel))
(var pauses 0)
(fiber/set-fuel slices 2)
(var result (fiber/resume slices))
(while (= (fiber/status slices) :paused)
  (assert (= 0 (fiber/fuel slices)) "each pause is at fuel 0")
  (assign pauses (+ pauses 1))
  (fiber/set-fuel slices 2)
  (assign result (fiber/resume slices)))
(assert (= :done result) "sliced fiber finishes")
(assert (= 30 (length log)) "no side effect lost or repeated")
(var idx 0)
(each x log
  (assert (= x idx) "side effects in order")
  (assign idx (+ idx 1)))
(assert (> pauses 30) "thirty iterations at two instructions a slice pause many times")

## :fuel propagates like any signal.
(def fin (fiber/new (fn [] (spin 200)) 0))
(def fout (fiber/new (fn [] (+ 1 (fiber/resume fin))) :fuel))
(fiber/set-fuel fin 10)
(assert (nil? (fiber/resume fout)) "a propagated :fuel is caught by the outer mask")
(assert (= :paused (fiber/status fin)) "inner paused")
(assert (= :paused (fiber/status fout)) "outer paused")
(assert (= 0 (fiber/fuel fin)) "inner fuel 0")
(fiber/set-fuel fin 1000000)
(assert (= 201 (fiber/resume fout)) "resuming the outer fiber continues the refuelled inner one")

## A fiber with no fuel left pauses before its first instruction.
(def zf (fiber/new (fn [] (spin 3)) :fuel))
(fiber/set-fuel zf 0)
(assert (nil? (fiber/resume zf)) "zero fuel pauses at once")
(fiber/set-fuel zf 1000)
(assert (= 3 (fiber/resume zf)) "and runs once refuelled")

(println "fuel: ok")
