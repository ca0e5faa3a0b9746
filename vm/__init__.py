"""vm: a stack-machine bytecode VM for a small Lisp (Elle's core), with fibers, signals and fuel."""
