# protect catches only :error; a yield inside it propagates to the enclosing generator's resumer.
(def gen (fiber/new (fn [] (protect (+ 1 (yield :inside-protect)))) :yield))
(println (fiber/resume gen))      # expect: inside-protect
(println (fiber/status gen))      # expect: paused
(println (fiber/resume gen 41))   # expect: [true 42]
(println (fiber/status gen))      # expect: dead
