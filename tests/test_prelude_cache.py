"""The prelude's bytecode cache (vm/prelude_cache.py): a VM that loads the prelude from the
cache runs every program exactly as one that compiled it (output, ticks, errors); a corrupt,
foreign or unreadable cache file, or an unwritable directory, is a miss and the prelude is
compiled as without a cache. Each test points the cache at a directory of its own."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import pytest

from vm import prelude_cache
from vm.api import run_program
from vm.core import PRELUDE_FILE, VM

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = """
(print (map (fn [x] (* x 2)) [1 2 3]) " " (filter (fn [x] (> x 1)) @[1 2 3]) " " (fold + 0 (range 10)))
(print (sort-with (fn [a b] (< a b)) [3 1 2]) " " ((compose (fn [x] (+ x 1)) (fn [x] (* x 2))) 5))
(def f (fiber/new (fn [] (yield 1) (error :boom)) :yield))
(print (fiber/resume f) " " (protect (fiber/resume f)))
(map (fn [x] (+ x nil)) [1])
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "prelude"
    monkeypatch.setenv(prelude_cache.ENV_DIR, str(d))
    monkeypatch.delenv(prelude_cache.ENV_SWITCH, raising=False)
    return d


def prelude_text() -> str:
    return Path(PRELUDE_FILE).read_text(encoding="utf-8")


def outcome(text=PROGRAM):
    out = run_program(text, "p.lisp")
    return out.output, out.ticks, out.status, out.error_kind, out.error_text


def files(d: Path) -> list[Path]:
    return sorted(d.glob("*.bin")) if d.exists() else []


def test_a_cached_prelude_runs_programs_as_a_compiled_one(cache, monkeypatch):
    monkeypatch.setenv(prelude_cache.ENV_SWITCH, "0")
    want = outcome()
    assert files(cache) == []                       # switched off: nothing written
    monkeypatch.delenv(prelude_cache.ENV_SWITCH)
    assert outcome() == want                        # compiles and writes the cache
    assert len(files(cache)) == 1
    assert prelude_cache.load(prelude_text(), VM().primitives) is not None
    assert outcome() == want                        # from the cache
    golden = sorted((ROOT / "tests" / "programs").rglob("*.lisp"))[:25]
    for path in golden:
        text = path.read_text(encoding="utf-8")
        cached = outcome(text)
        monkeypatch.setenv(prelude_cache.ENV_SWITCH, "0")
        assert outcome(text) == cached, path
        monkeypatch.delenv(prelude_cache.ENV_SWITCH)


def test_a_cached_prelude_is_the_compiled_one(cache, monkeypatch):
    VM()
    loaded = VM()
    monkeypatch.setenv(prelude_cache.ENV_SWITCH, "0")
    compiled = VM()
    assert loaded.table.names == compiled.table.names
    assert sorted(loaded.prelude.globals) == sorted(compiled.prelude.globals)
    assert loaded.registry.bits == compiled.registry.bits
    for name in loaded.prelude.globals:
        a = loaded.globals[loaded.prelude.globals[name].index].func
        b = compiled.globals[compiled.prelude.globals[name].index].func
        fa, fb = list(a.all_functions()), list(b.all_functions())
        assert [(f.name, f.code, f.nlocals, f.local_names, f.locations) for f in fa] == \
               [(f.name, f.code, f.nlocals, f.local_names, f.locations) for f in fb]
        # Primitives come back as this VM's own objects; globals share the table's names.
        assert all(f.global_names is loaded.table.names for f in fa)
    assert loaded.sources["<prelude>"] == compiled.sources["<prelude>"]


def test_a_corrupt_or_foreign_cache_file_is_a_miss(cache):
    want = outcome()
    (path,) = files(cache)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))       # one bit flipped
    assert prelude_cache.load(prelude_text(), VM().primitives) is not None   # rewritten by VM()
    path.write_bytes(data[:len(data) // 2])                   # torn
    assert outcome() == want
    # A well-formed file whose pickle names a class the cache never holds.
    payload = pickle.dumps((os.system, "true"))
    path.write_bytes(hashlib.sha256(payload).digest() + payload)
    assert prelude_cache.load(prelude_text(), {}) is None
    assert outcome() == want


def test_an_unwritable_cache_directory_compiles_as_before(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(prelude_cache.ENV_DIR, str(blocker / "prelude"))
    monkeypatch.delenv(prelude_cache.ENV_SWITCH, raising=False)
    assert outcome()[2] == 1 and outcome()[0].startswith("[2 4 6] @[2 3] 45")


def test_the_key_follows_the_prelude_text_and_the_bytecode(monkeypatch):
    text = prelude_text()
    before = prelude_cache.key(text)
    assert prelude_cache.key(text) == before
    assert prelude_cache.key(text + "\n") != before
    from vm import bytecode
    info = bytecode.OPCODES[0]
    changed = [bytecode.OpInfo(info.code, info.name + "X", info.operands, info.effect, info.doc,
                               info.size)] + bytecode.OPCODES[1:]
    monkeypatch.setattr(bytecode, "OPCODES", changed)
    assert prelude_cache.key(text) != before
