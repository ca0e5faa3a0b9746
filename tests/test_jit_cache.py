"""The JIT's on-disk code cache (vm/jit/cache.py): a process that loads cached code behaves
exactly as one that compiled it (output, value, errors and their locations, ticks), also
where the code holds keywords and exit sites whose numbers differ between processes;
broken entries are rebuilt; an unusable cache directory is no cache; it can be turned off;
and llvmlite is imported only when something is about to compile.

Each test runs fresh processes against its own cache directory (tests/conftest.py keeps
the whole session away from the user's cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vm.jit import cache as jitcache

ROOT = Path(__file__).resolve().parent.parent
DIFF_DIRS = ("arithmetic", "tailcalls", "limit", "loops", "fuel")
PROGRAMS = sorted(p for p in (ROOT / "tests" / "programs").rglob("*.lisp")
                  if any(part in DIFF_DIRS for part in p.parts))
PROGRAMS += sorted((ROOT / "vmdbg" / "examples").glob("*.lisp"))

# Runs programs in this process and prints what a user sees of each, plus what the JIT did.
# PAD shifts this process's allocations, so keywords live at other addresses than in the
# process that filled the cache. TUNE makes compiled loops hand over at every look.
RUNNER = r"""
import json, os, sys
pad = [object() for _ in range(int(os.environ.get("PAD", "0")))]
from vm.core import VM
from vm.values import Keyword, literal
from vm.api import format_uncaught
extra_kw = [Keyword("pad%d" % i) for i in range(int(os.environ.get("PAD", "0")) // 100)]
out = []
for path, jit in json.loads(sys.argv[1]):
    vm = VM(jit=jit)
    vm.load(open(path, encoding="utf-8").read(), path)
    if jit and os.environ.get("TUNE"):
        vm.jit_engine().tune(slice_ns=0, chunk=64, margin=16)
    vm.run()
    row = {"path": path, "jit": jit, "output": vm.output_text(), "ticks": vm.tick, "status": vm.status}
    if vm.status == "finished":
        row["value"] = literal(vm.result)
    else:
        row["error"] = list(format_uncaught(vm))
    eng = vm.jit
    codes = [c for cs in (eng.codes.values() if eng is not None else ()) for c in cs]
    row["compiled"] = sorted(c.symbol for c in codes)
    row["cached"] = sorted(c.symbol for c in codes if c.cached)
    row["exits"] = sum(c.exits for c in codes)
    row["last_error"] = eng.last_error if eng is not None else None
    ok = True
    if eng is not None and eng._backend is not None:
        from vm.jit.translate import site_base_name
        import ctypes
        for c in codes:
            ee = eng._backend.engines[c.level]
            addr = ee.get_global_value_address("unit_" + c.symbol + ".sites")
            if addr:
                base = ctypes.c_int64.from_address(addr).value
                ok = ok and eng.exit_sites[base].func is c.func
    row["bases_ok"] = ok
    row["kw_id"] = id(Keyword("done"))
    from vm.jit import cache as jitcache
    row["cache_hits"] = sum(c.hits for c in jitcache._caches.values())
    row["cache_misses"] = sum(c.misses for c in jitcache._caches.values())
    out.append(row)
print(json.dumps(out))
"""


def run_runner(runs, cache_dir, **env):
    e = {**os.environ, "VMDBG_JIT_CACHE_DIR": str(cache_dir), **{k: str(v) for k, v in env.items()}}
    e.pop("VMDBG_JIT_CACHE", None)
    r = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(runs)], cwd=ROOT, env=e,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def seen(row) -> dict:
    return {k: row.get(k) for k in ("output", "ticks", "status", "value", "error")}


def entries(d: Path) -> list:
    return sorted(p for p in d.glob("*.o"))


def test_cold_and_warm_processes_agree_with_the_interpreter(tmp_path):
    """Every JIT test program at --jit 1: a process that compiles and fills the cache, then
    one that loads everything from it (its keywords at other addresses), give the same
    output, value, error and ticks as the interpreter."""
    runs = [(str(p), 1) for p in PROGRAMS]
    cold = run_runner(runs + [(str(p), 0) for p in PROGRAMS], tmp_path)
    filled = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in entries(tmp_path)}
    warm = run_runner(runs, tmp_path, PAD=200_000)
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in entries(tmp_path)} == filled
    interp = {r["path"]: seen(r) for r in cold if r["jit"] == 0}
    assert sum(bool(r["compiled"]) for r in warm) >= 10
    # The warm process built nothing: the runtime, the trampolines and every unit were hits.
    assert warm[-1]["cache_misses"] == 0 and warm[-1]["cache_hits"] >= 3, warm[-1]
    assert cold[-1]["cache_misses"] >= 3
    assert cold[0]["kw_id"] != warm[0]["kw_id"]
    for c, w in zip(cold, warm):
        assert seen(c) == seen(w) == interp[c["path"]], c["path"]
        assert c["cached"] == [] and w["cached"] == w["compiled"] == c["compiled"], c["path"]
        assert c["last_error"] is None and w["last_error"] is None, (c["last_error"], w["last_error"])


LOOPS = """
(defn {a} [n acc] (if (= n 0) acc ({a} (- n 1) (+ acc (if (= (rem n 3) 0) 2 1)))))
(defn {b} [n] (var i 0) (var s 0) (while (< i n) (assign s (+ s (if (= (rem i 2) 0) 3 1))) (assign i (+ i 1))) s)
(println ({first} 5000 {arg}))
(println ({second} 6000 {arg}))
(println (= :done :done))
"""


def test_exit_sites_are_numbered_by_the_loading_process(tmp_path):
    """Two loops compiled in one order fill the cache; a process that loads them in the other
    order numbers their exit sites differently, and every hand-over still lands on the
    right frame (loops tuned to hand over at every look)."""
    one, two = tmp_path / "one.lisp", tmp_path / "two.lisp"
    # Same functions (same bytecode, so the same IR), called in the other order.
    one.write_text(LOOPS.format(a="walk", b="count", first="walk", second="count", arg="0")
                   .replace("(count 6000 0)", "(count 6000)"))
    two.write_text(LOOPS.format(a="walk", b="count", first="count", second="walk", arg="0")
                   .replace("(count 5000 0)", "(count 5000)"))
    cache_dir = tmp_path / "cache"
    first = run_runner([(str(one), 1), (str(one), 0)], cache_dir, TUNE=1)
    second = run_runner([(str(two), 1), (str(two), 0)], cache_dir, TUNE=1)
    for jitted, interp in (first, second):
        assert seen(jitted) == seen(interp)
        assert jitted["exits"] > 0 and jitted["bases_ok"], jitted
    assert first[0]["cached"] == [] and second[0]["cached"] == second[0]["compiled"] != []


def vmdbg(*args, cache_dir, env=None):
    e = {**os.environ, "VMDBG_JIT_CACHE_DIR": str(cache_dir), **(env or {})}
    if env is None or "VMDBG_JIT_CACHE" not in env:
        e.pop("VMDBG_JIT_CACHE", None)
    return subprocess.run([sys.executable, "-m", "vmdbg", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=120)


FIB = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 20) :ok)\n"


def test_broken_entries_are_ignored_and_rebuilt(tmp_path):
    prog = tmp_path / "fib.lisp"
    prog.write_text(FIB)
    cache_dir = tmp_path / "cache"
    r = vmdbg("run", "--jit", "1", str(prog), cache_dir=cache_dir)
    assert (r.returncode, r.stdout, r.stderr) == (0, "6765ok\n", "")
    files = entries(cache_dir)
    assert len(files) >= 3             # the runtime, a trampoline, fib
    good = {p: p.read_bytes() for p in files}
    damage = [lambda b: b[: len(b) // 2],                  # truncated
              lambda b: b[:-40] + bytes(40),               # corrupt
              lambda b: b"",                               # empty
              lambda b: b"not an object file at all"]      # another format
    for i, p in enumerate(files):
        p.write_bytes(damage[i % len(damage)](good[p]))
    r = vmdbg("run", "--jit", "1", str(prog), cache_dir=cache_dir)
    assert (r.returncode, r.stdout, r.stderr) == (0, "6765ok\n", "")
    for p in files:
        assert jitcache.decode(p.read_bytes()) is not None, p    # rebuilt
    assert not list(cache_dir.glob(".tmp-*"))


def test_processes_filling_one_cache_at_once(tmp_path):
    """Processes started together on one empty cache all run right, leave only whole
    entries, and a later process loads everything they wrote."""
    prog = write(tmp_path, FIB)
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "VMDBG_JIT_CACHE_DIR": str(cache_dir)}
    env.pop("VMDBG_JIT_CACHE", None)
    procs = [subprocess.Popen([sys.executable, "-m", "vmdbg", "run", "--jit", "1", str(prog)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert (p.returncode, out, err) == (0, "6765ok\n", "")
    files = entries(cache_dir)
    assert len(files) >= 3 and not list(cache_dir.glob(".tmp-*"))
    assert all(jitcache.decode(p.read_bytes()) is not None for p in files)
    r = vmdbg("run", "--jit", "1", "--stats", str(prog), cache_dir=cache_dir)
    assert r.stdout == "6765ok\n" and "(c: loaded from the code cache)" in r.stderr, r.stderr
    assert entries(cache_dir) == files


def test_an_unusable_cache_directory_is_no_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = vmdbg("run", "--jit", "1", str(write(tmp_path, FIB)), cache_dir=blocker / "jit")
    assert (r.returncode, r.stdout, r.stderr) == (0, "6765ok\n", "")


def write(tmp_path, text) -> Path:
    p = tmp_path / "p.lisp"
    p.write_text(text)
    return p


def test_the_cache_can_be_turned_off(tmp_path):
    prog = write(tmp_path, FIB)
    for how in (dict(args=["--no-jit-cache"]), dict(env={"VMDBG_JIT_CACHE": "0"})):
        d = tmp_path / str(len(how))
        r = vmdbg("run", "--jit", "1", *how.get("args", []), str(prog), cache_dir=d, env=how.get("env"))
        assert (r.returncode, r.stdout, r.stderr) == (0, "6765ok\n", "")
        assert not d.exists() or not entries(d), how
    r = vmdbg("run", "--jit", "1", "--stats", str(prog), cache_dir=tmp_path / "on")
    assert entries(tmp_path / "on") and "fib" in r.stderr


def test_llvmlite_is_imported_only_when_something_compiles():
    code = ("import sys\nfrom vm.api import run_program\n"
            "out = run_program(sys.argv[1], 'p.lisp', jit=10)\n"
            "print(out.output.strip(), 'llvmlite' in sys.modules)")
    rejected = "(defn show [x] (println x))\n(var i 0)\n(while (< i 30) (show i) (assign i (+ i 1)))\n"
    cases = [("(println 1)", "1 False"),                        # nothing gets hot
             (rejected, "29 False"),                            # hot, but nothing compiles
             (FIB, "6765ok True")]
    for src, expected in cases:
        r = subprocess.run([sys.executable, "-c", code, src], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip().splitlines()[-1] == expected, r.stdout


def test_entries_round_trip_and_reject_damage():
    blob = jitcache.encode(b"\x7fELF-object", "define i64 @f()")
    assert jitcache.decode(blob) == (b"\x7fELF-object", "define i64 @f()")
    for bad in (blob[:-1], blob[:20], blob.replace(b"ELF", b"ELG"), b"", blob[len(jitcache.MAGIC):]):
        assert jitcache.decode(bad) is None
