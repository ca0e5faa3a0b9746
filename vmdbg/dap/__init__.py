"""The Debug Adapter Protocol server: a client of vmdbg.core, beside the TUI."""
