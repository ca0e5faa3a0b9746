# catch binds the error with a destructuring pattern as let does; the handler may be several forms.
(println (try (/ 1 0) (catch {:error kind :message msg} kind)))          # expect: division-by-zero
(println (try (error :oops "bad thing")
           (catch {:error k :message m} (print "handled ") (string k ": " m))))  # expect: handled oops: bad thing
(println (try (error [1 2 3]) (catch [a _ c] (+ a c))))                  # expect: 4
(println (try (error {:error :x}) (catch {:error k :message m} (nil? m))))  # expect: true
(println (try :fine (catch {:error k} k)))                               # expect: fine
(println (try (try (error :inner "in") (catch {:error k} (error :outer "out")))
           (catch {:message m} m)))                                      # expect: out
# The pattern follows let's rules: a struct pattern on a payload that is not a collection
# is an error of the handler.
(println (try (try (error :bare) (catch {:error k} k)) (catch {:error k} k)))  # expect: type-error
