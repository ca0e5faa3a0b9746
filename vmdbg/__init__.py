"""vmdbg: a terminal debugger for the vm bytecode VM."""
