"""The TUI's panels, one widget per module."""
