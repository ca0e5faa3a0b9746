# assert returns its value when truthy and raises :failed-assertion with the message otherwise.
(println (assert 5 "five is truthy"))   # expect: 5
(println (assert () "() is truthy"))    # expect: ()
(def r (protect (assert nil "nil is falsy")))
(println (get (get r 1) :error))        # expect: failed-assertion
(println (string-contains? (get (get r 1) :message) "nil is falsy"))  # expect: true
(assert (= 1 2) "one is not two")
# expect error: :failed-assertion
