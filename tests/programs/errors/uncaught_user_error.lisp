# A program may raise its own error struct; uncaught, its :error kind is reported.
(defn check-age [n]
  (when (< n 0)
    (error {:error :invalid-age :message "age must not be negative"}))
  n)
(println (check-age 30))   # expect: 30
(check-age -1)
# expect error: :invalid-age
