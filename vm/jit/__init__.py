"""The llvmlite JIT: pure number functions compiled to native code, with exact fallback.

Layers (numba's split): compiler.py is the engine (target machines, execution engines,
units, tiers, rejections, stats, listings); analyse.py decides what compiles and lays out
blocks; translate.py, numeric.py and natives.py turn bytecode into LLVM IR; runtime.py
is the process-wide native runtime (entry trampolines, fuel refill, number slow paths);
irutil.py holds small IR helpers; code.py is JitCode and the interpreter's door, `enter`.

Importing this package or vm.jit.code does not import llvmlite; VM.jit_engine() does.
"""
