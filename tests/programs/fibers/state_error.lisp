# Resuming a :dead or :alive fiber is a :state-error in the caller; the fiber is unchanged.
(def f (fiber/new (fn [] :done) 0))
(println (fiber/resume f))                 # expect: done
(def r (protect (fiber/resume f)))
(println (get r 0))                        # expect: false
(println (get (get r 1) :error))           # expect: state-error
(println (fiber/status f))                 # expect: dead
(println (fiber/value f))                  # expect: done
# A fiber resuming itself while it runs.
(def self-resumer (fiber/new (fn [] (protect (fiber/resume self-resumer))) 0))
(def r2 (fiber/resume self-resumer))
(println (get r2 0))                       # expect: false
(println (get (get r2 1) :error))          # expect: state-error
(println (fiber/status self-resumer))      # expect: dead
