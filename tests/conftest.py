"""Hypothesis runs derandomized (the same examples every run), so a CI run cannot fail on
a lucky seed; `VMDBG_FUZZ_LONG=1` switches to fresh random examples, many more of them."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("long", derandomize=False, database=None)
settings.load_profile("long" if os.environ.get("VMDBG_FUZZ_LONG") else "ci")
