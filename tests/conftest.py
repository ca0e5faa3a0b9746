"""Hypothesis runs derandomized (the same examples every run), so a CI run cannot fail on
a lucky seed; `VMDBG_FUZZ_LONG=1` switches to fresh random examples, many more of them."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("long", derandomize=False, database=None)
settings.load_profile("long" if os.environ.get("VMDBG_FUZZ_LONG") else "ci")

# The JIT's object cache (vm/jit/cache.py) goes to a directory of this session, never the
# user's cache; subprocesses the tests start inherit it.
if not os.environ.get("VMDBG_JIT_CACHE_DIR"):
    import atexit
    import shutil
    import tempfile
    os.environ["VMDBG_JIT_CACHE_DIR"] = _jit_cache = tempfile.mkdtemp(prefix="vmdbg-jit-cache-")
    atexit.register(shutil.rmtree, _jit_cache, True)

# The prelude's bytecode cache (vm/prelude_cache.py) likewise.
if not os.environ.get("VMDBG_PRELUDE_CACHE_DIR"):
    import atexit
    import shutil
    import tempfile
    os.environ["VMDBG_PRELUDE_CACHE_DIR"] = _prelude_cache = tempfile.mkdtemp(prefix="vmdbg-prelude-cache-")
    atexit.register(shutil.rmtree, _prelude_cache, True)
