"""The prelude's compiled bytecode, cached on disk so a VM starts without reading,
compiling and verifying vm/prelude.lisp every time (vm/core.py VM._load_prelude).

What is cached: what compiling the prelude gives, before it runs: its main function (and
the functions in it), the global table's names, the prelude module's globals and the
signal registry. Running the prelude (which fills in the globals' values) still happens at
every start; decoding too, of the functions it runs (functions decode on first use).

Keyed by the prelude's text and the VM's bytecode version: the opcode table, and the size
and modification time of every source file whose change could change what compiling
gives (vm/compiler/, vm/bytecode.py, vm/reader.py, vm/values.py, vm/verify.py, this file)
and Python's version. Only bytecode the verifier accepted is written. The file holds a
SHA-256 of its contents (a torn or corrupt file is a miss) and loads with an unpickler
that builds only the few classes bytecode holds; primitives are stored by name and
come back as this VM's own. Any miss, corruption or an unwritable directory: the prelude
is compiled as it would be without a cache.

Where: `$VMDBG_PRELUDE_CACHE_DIR`, else `prelude/` under the user cache directory
(platformdirs: ~/.cache/vmdbg on Linux). `VMDBG_PRELUDE_CACHE=0` turns it off.
"""

from __future__ import annotations

import os
import sys

ENV_DIR = "VMDBG_PRELUDE_CACHE_DIR"
ENV_SWITCH = "VMDBG_PRELUDE_CACHE"
FORMAT = 2
_HERE = os.path.dirname(os.path.abspath(__file__))
_SOURCES = ("bytecode.py", "reader.py", "values.py", "verify.py", "prelude_cache.py")

# The only classes a cache file may build (anything else: a miss).
_ALLOWED = {("vm.bytecode", "CompiledFunction"), ("vm.compiler.state", "Global"),
            ("vm.reader", "Span"), ("vm.values", "Keyword"), ("vm.values", "Symbol"),
            ("vm.values", "EmptyList")}


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("0", "no", "off", "false")


def _sha256(data: bytes = b""):
    """hashlib.sha256, without importing hashlib (whose OpenSSL set-up costs a few
    milliseconds at every start) where Python has its own SHA-256 module."""
    try:
        from _sha256 import sha256          # CPython 3.11
    except ImportError:
        try:
            from _sha2 import sha256        # CPython 3.12 and later
        except ImportError:
            from hashlib import sha256
    return sha256(data)


def user_cache_path(part: str, env_dir: str) -> str:
    """`$env_dir` if set, else `part` under the user cache directory (platformdirs'
    user_cache_dir("vmdbg"); on Linux the same XDG rule without importing platformdirs)."""
    d = os.environ.get(env_dir)
    if d:
        return d
    base = None
    if sys.platform.startswith("linux"):
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not os.path.isabs(xdg):
            xdg = ""                        # the XDG rule: relative paths are ignored
        base = os.path.join(xdg or os.path.expanduser("~/.cache"), "vmdbg")
    else:
        try:
            from platformdirs import user_cache_dir
            base = user_cache_dir("vmdbg")
        except Exception:
            pass
    if base is None:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vmdbg")
    return os.path.join(base, part)


def cache_dir() -> str:
    return user_cache_path("prelude", ENV_DIR)


def key(text: str) -> str:
    """The cache file's name for prelude `text` with this VM."""
    from vm.bytecode import OPCODES
    h = _sha256()
    h.update(f"{FORMAT} {sys.version_info[:3]} {sys.implementation.name}\n".encode())
    h.update(repr([(i.name, i.operands) for i in OPCODES]).encode())
    paths = [os.path.join(_HERE, name) for name in _SOURCES]
    compiler = os.path.join(_HERE, "compiler")
    paths += sorted(os.path.join(compiler, n) for n in os.listdir(compiler) if n.endswith(".py"))
    for p in paths:
        st = os.stat(p)
        h.update(f"{os.path.basename(p)} {st.st_size} {st.st_mtime_ns}\n".encode())
    h.update(text.encode("utf-8"))
    return h.hexdigest()[:32]


def load(text: str, primitives: dict):
    """(names, module globals, signal bits, next user signal, main) from the cache, or None."""
    if not enabled():
        return None
    try:
        import io
        try:        # pickle's own Unpickler, without the pure-Python module around it
            from _pickle import Unpickler as _Unpickler, UnpicklingError
        except ImportError:                 # pragma: no cover
            from pickle import Unpickler as _Unpickler, UnpicklingError
        with open(os.path.join(cache_dir(), key(text) + ".bin"), "rb") as fh:
            data = fh.read()
        digest, payload = data[:32], data[32:]
        if _sha256(payload).digest() != digest:
            return None

        class Unpickler(_Unpickler):
            def find_class(self, module, name):
                if (module, name) not in _ALLOWED:
                    raise UnpicklingError(f"{module}.{name}")
                return super().find_class(module, name)

            def persistent_load(self, pid):
                return primitives[pid]          # KeyError: a miss

        return Unpickler(io.BytesIO(payload)).load()
    except Exception:
        return None


def store(text: str, primitives: dict, state: tuple) -> None:
    """Write `state` (as load returns it) for prelude `text`; never raises."""
    if not enabled():
        return
    try:
        import io
        import pickle
        names = {id(f): name for name, f in primitives.items()}

        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if type(obj).__name__ == "Native":
                    return names[id(obj)]       # KeyError: not cached
                return None

        buf = io.BytesIO()
        Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
        payload = buf.getvalue()
        d = cache_dir()
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, key(text) + ".bin")
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(_sha256(payload).digest() + payload)
        os.replace(tmp, path)                   # readers see the whole file or none
    except Exception:
        try:
            os.unlink(tmp)                      # noqa: F821 (may not exist yet)
        except Exception:
            pass
