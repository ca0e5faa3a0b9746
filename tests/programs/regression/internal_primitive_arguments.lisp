# Regression: the prelude's internal helpers were reachable from programs and crashed
# with Python exceptions on bad arguments; they raise type errors like any primitive.
(println (protect (%shape-like [1] 1)))      # expect: [false {:error :type-error :message "%shape-like: expected an array, got 1"}]
(%list->array 1 true)                        # expect error: :type-error
