"""The on-disk cache of the JIT's object code, so a later process loads what an earlier one compiled.

Entries are the machine code (an ELF object, as the target machine emits it) of one
compile unit, or of the shared runtime or an entry trampoline, plus the unit's optimised
LLVM IR (for the listings). An entry is keyed by the SHA-256 of:

  - the cache's context: the JIT's own version (a hash of every vm/jit/*.py source, so any
    change to how code is generated or optimised starts afresh), the llvmlite and LLVM
    versions, the host triple, CPU name and features, and the Python build;
  - for a function unit, the whole unoptimised LLVM IR text and the tier. The IR holds no
    process-specific address: keywords, Python objects, C functions, other compiled bodies
    and the unit's exit-site base are external symbols, bound by name when the object is
    loaded (in this process, to what a fresh compile would bind them to), so a hit is the
    object a fresh compile of the same IR would give;
  - for the runtime and the trampolines (whose IR depends only on the JIT's source and the
    Python build), their name.

Writes go to a temporary file in the cache directory, then `os.replace`, so concurrent
processes see a whole entry or none. An entry that is truncated, corrupt or of another
format (its checksum or header do not match) is ignored and rebuilt. Any error reading or
writing (an unwritable directory) means no cache, silently.

Where: `$VMDBG_JIT_CACHE_DIR`, else `jit/` under the user cache directory (platformdirs:
`$XDG_CACHE_HOME/vmdbg`, by default `~/.cache/vmdbg`). `VMDBG_JIT_CACHE=0` (or the
command line's `--no-jit-cache`, which sets it) turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile

MAGIC = b"vmdbg-jit-object 1\n"
ENV_SWITCH = "VMDBG_JIT_CACHE"
ENV_DIR = "VMDBG_JIT_CACHE_DIR"
_OFF = ("0", "no", "off", "false")

_version = None


def jit_version() -> str:
    """A hash of the JIT's source: the code it generates is a function of these files."""
    global _version
    if _version is None:
        h = hashlib.sha256()
        here = os.path.dirname(os.path.abspath(__file__))
        for name in sorted(os.listdir(here)):
            if name.endswith(".py"):
                with open(os.path.join(here, name), "rb") as f:
                    h.update(name.encode() + b"\0" + f.read() + b"\0")
        _version = h.hexdigest()
    return _version


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in _OFF


def cache_dir() -> str:
    from vm.prelude_cache import user_cache_path
    return user_cache_path("jit", ENV_DIR)


class ObjectCache:
    """Entries under one directory, for one context (see the module docstring)."""

    def __init__(self, directory: str, context: bytes):
        self.dir = directory
        self.context = hashlib.sha256(context).digest()
        self.hits = 0
        self.misses = 0
        self.writable = True

    def key(self, *parts) -> str:
        h = hashlib.sha256(self.context)
        for p in parts:
            p = p if isinstance(p, bytes) else str(p).encode()
            h.update(len(p).to_bytes(8, "little") + p)
        return h.hexdigest()

    def path(self, key: str) -> str:
        return os.path.join(self.dir, key + ".o")

    def load(self, key: str):
        """(object bytes, text) stored under `key`, or None (absent, unreadable or corrupt)."""
        try:
            with open(self.path(key), "rb") as f:
                data = f.read()
        except OSError:
            self.misses += 1
            return None
        entry = decode(data)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def store(self, key: str, obj: bytes, text: str = ""):
        """Write an entry atomically; any failure leaves the cache as it was (and, for a
        directory that cannot be written, stops trying)."""
        if not self.writable:
            return
        tmp = None
        try:
            os.makedirs(self.dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".o")
            with os.fdopen(fd, "wb") as f:
                f.write(encode(obj, text))
            os.replace(tmp, self.path(key))
            tmp = None
        except OSError:
            self.writable = False
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def encode(obj: bytes, text: str) -> bytes:
    payload = len(obj).to_bytes(8, "little") + obj + text.encode()
    return MAGIC + hashlib.sha256(payload).digest() + payload


def decode(data: bytes):
    head = len(MAGIC)
    if len(data) < head + 32 + 8 or not data.startswith(MAGIC):
        return None
    digest, payload = data[head:head + 32], data[head + 32:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    n = int.from_bytes(payload[:8], "little")
    if n <= 0 or 8 + n > len(payload):
        return None
    try:
        return payload[8:8 + n], payload[8 + n:].decode()
    except UnicodeDecodeError:
        return None


def context(llvm) -> bytes:
    """What, besides the IR, the machine code depends on (llvmlite's binding is `llvm`)."""
    import llvmlite
    parts = [jit_version(), llvmlite.__version__, str(llvm.llvm_version_info), llvm.get_process_triple(),
             llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(), sys.version,
             sys.implementation.cache_tag or "", str(hasattr(sys, "gettotalrefcount")), sys.platform]
    return "\n".join(parts).encode()


_caches: dict = {}


def open_cache(llvm):
    """The cache for this process's context and directory, or None when it is off."""
    try:
        if not enabled():
            return None
        d = cache_dir()
        c = _caches.get(d)
        if c is None:
            c = _caches[d] = ObjectCache(d, context(llvm))
        return c
    except Exception:  # no usable cache (no home directory, ...): compile afresh, silently
        return None
