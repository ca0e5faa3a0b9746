#!/usr/bin/env vmdbg run
# A first line starting with `#!` is ignored.
(println "shebang ignored")  # expect: shebang ignored
