"""The on-disk compile cache: a hit in a second process, and recovery from damaged entries.

The oracle for values is NumPy; for "was it a hit" the cache's own counters and the files on disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import runtime
import tracer
from runtime import persistent_cache, prefetch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHILD = """
import json, numpy as np, tracer
from runtime import persistent_cache
x = np.arange(12, dtype=np.float32).reshape(3, 4)
y = tracer.jit(lambda x: np.sin(x) * 3.0 + x.sum(), cache_size=4)(x)
print("RESULT " + json.dumps({"value": np.asarray(y).tolist(), "stats": persistent_cache.stats}))
"""


def run_child(cache_dir) -> dict:
    env = dict(os.environ, PYREACTANT_CACHE_DIR=str(cache_dir),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=120)
    line = next((l for l in process.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line, process.stderr
    return json.loads(line[len("RESULT "):])


def test_second_process_loads_the_executable_the_first_wrote(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected = np.sin(x) * 3.0 + x.sum()
    cold = run_child(tmp_path)
    assert cold["stats"]["hits"] == 0 and cold["stats"]["writes"] >= 1
    entries = sorted(p for p in os.listdir(tmp_path) if p.endswith(".xla"))
    assert entries and not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # atomic: no leftovers
    warm = run_child(tmp_path)
    assert warm["stats"]["hits"] >= 1 and warm["stats"]["writes"] == 0 and warm["stats"]["rejected"] == 0
    np.testing.assert_allclose(cold["value"], expected, rtol=1e-6)
    np.testing.assert_array_equal(warm["value"], cold["value"])
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".xla")) == entries


@pytest.fixture
def cache_dir(tmp_path):
    previous = runtime.cache_directory()
    runtime.enable_persistent_cache(tmp_path)
    yield tmp_path
    if previous is None:
        runtime.disable_persistent_cache()
    else:
        runtime.enable_persistent_cache(previous)


def run_fresh(x):
    """A new jit function (empty in-memory cache) over one fixed program: only the disk can help it.
    (A device-resident argument: exactly one executable, none compiled in the background.)"""
    return tracer.jit(lambda x: np.cos(x) * 7.0 - 2.0)(runtime.to_device(x))


def only_entry(directory):
    (entry,) = [directory / p for p in os.listdir(directory) if p.endswith(".xla")]
    return entry


@pytest.mark.parametrize("damage", ["truncated", "flipped_payload", "garbage", "other_key", "empty"])
def test_a_damaged_entry_is_ignored_rebuilt_and_rewritten(cache_dir, damage):
    x = np.linspace(-2, 2, 6, dtype=np.float32)
    expected = np.cos(x) * 7.0 - 2.0
    np.testing.assert_allclose(np.asarray(run_fresh(x)), expected, rtol=1e-6)
    entry = only_entry(cache_dir)
    data = entry.read_bytes()
    damaged = {
        "truncated": data[: len(data) // 2],
        "flipped_payload": data[:-100] + bytes(b ^ 0xFF for b in data[-100:]),
        "garbage": os.urandom(len(data)),
        "other_key": data.replace(entry.stem.encode(), b"0" * len(entry.stem), 1),  # a stale entry's header
        "empty": b"",
    }[damage]
    entry.write_bytes(damaged)
    before = dict(persistent_cache.stats)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_fresh(x)
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-6)
    assert persistent_cache.stats["rejected"] == before["rejected"] + 1
    assert persistent_cache.stats["writes"] == before["writes"] + 1
    (warning,) = [w for w in caught if "unusable compile-cache entry" in str(w.message)]
    # (A background load of the same entry, begun while tracing, leaves the warning to this thread.)
    assert "concurrent" not in warning.filename
    assert only_entry(cache_dir) == entry  # rebuilt and written again, under the same key ...
    hits = persistent_cache.stats["hits"]
    np.testing.assert_allclose(np.asarray(run_fresh(x)), expected, rtol=1e-6)
    assert persistent_cache.stats["hits"] == hits + 1  # ... and usable


def test_the_key_covers_module_options_and_platform():
    client = runtime.client()
    options = runtime._jaxlib.compile_options()
    two = runtime._jaxlib.compile_options(1, 1, device_assignment=np.array([[runtime.devices()[-1].id]]))
    key = persistent_cache.entry_key("module {}", options, client)
    assert key == persistent_cache.entry_key("module {}", runtime._jaxlib.compile_options(), client)
    assert key != persistent_cache.entry_key("module { }", options, client)
    options.num_partitions = 2
    assert key != persistent_cache.entry_key("module {}", options, client)
    del two


def test_an_unwritable_cache_only_costs_the_cache(cache_dir):
    os.rmdir(cache_dir)
    cache_dir.write_text("a file where the cache directory was")  # (chmod does not stop root)
    x = np.ones(3, np.float32)
    with pytest.warns(RuntimeWarning, match="could not write the compile cache"):
        result = tracer.jit(lambda x: x * 5.0 + 0.5)(runtime.to_device(x))
    np.testing.assert_array_equal(np.asarray(result), x * 5.0 + 0.5)
    cache_dir.unlink()
    cache_dir.mkdir()


# --------------------------------------------------------------------------- optimised-module entries

WARM_CHILD = """
import json, os, numpy as np, passes, tracer
from runtime import persistent_cache
if os.environ.get("FORBID_PASSES"):  # a warm process must not run our pipeline at all
    def forbidden(*args, **kwargs):
        raise AssertionError("a pass ran in the warm process")
    passes.run = passes.pass_manager.run = forbidden
    passes.PassManager.run = passes.pass_manager.PassManager.run = forbidden
def model(x, w):
    h = np.tanh(x @ w) + x.mean()
    return (h * h).sum(axis=0), np.exp(-h)
x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 6); w = np.linspace(0, 1, 36, dtype=np.float32).reshape(6, 6)
f = tracer.jit(model)
a, b = f(x, w)
compiled = f.compile(x, w)
print("RESULT " + json.dumps({"a": np.asarray(a).tolist(), "b": np.asarray(b).tolist(), "stats": persistent_cache.stats,
                              "optimized": compiled.as_text("optimized"), "hlo": compiled.as_text("hlo")}))
"""


def run_warm_child(cache_dir, **env) -> dict:
    env = dict(os.environ, PYREACTANT_CACHE_DIR=str(cache_dir),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), **env)
    process = subprocess.run([sys.executable, "-c", WARM_CHILD], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=120)
    line = next((l for l in process.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line, process.stderr
    return json.loads(line[len("RESULT "):])


def test_a_warm_process_runs_no_pass_and_gives_the_same_results(tmp_path):
    cache_dir = tmp_path / "not" / "yet" / "made"  # PYREACTANT_CACHE_DIR may name a missing directory
    cold = run_warm_child(cache_dir)
    assert cold["stats"]["module_hits"] == 0 and cold["stats"]["module_writes"] == 1
    assert [p for p in os.listdir(cache_dir) if p.endswith(".mlir")]
    warm = run_warm_child(cache_dir, FORBID_PASSES="1")
    assert warm["stats"]["module_hits"] == 1 and warm["stats"]["module_writes"] == 0
    assert warm["stats"]["hits"] >= 1 and warm["stats"]["writes"] == 0 and warm["stats"]["rejected"] == 0
    assert warm["a"] == cold["a"] and warm["b"] == cold["b"]  # bit for bit
    assert warm["optimized"] == cold["optimized"] and warm["hlo"] == cold["hlo"]
    assert not [p for p in os.listdir(cache_dir) if p.endswith(".tmp")]
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 6)
    h = np.tanh(x @ np.linspace(0, 1, 36, dtype=np.float32).reshape(6, 6)) + x.mean()
    np.testing.assert_allclose(cold["a"], (h * h).sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(cold["b"], np.exp(-h), rtol=1e-5)


def only_module_entry(directory):
    (entry,) = [directory / p for p in os.listdir(directory) if p.endswith(".mlir")]
    return entry


@pytest.fixture
def pass_runs(monkeypatch):
    """How many times our pipeline ran in this process (tracer.compiled calls passes.run)."""
    import passes

    runs = []
    real = passes.run

    def counting(*args, **kwargs):
        runs.append(args[1] if len(args) > 1 else kwargs.get("pipeline"))
        return real(*args, **kwargs)

    monkeypatch.setattr(passes, "run", counting)
    return runs


@pytest.mark.parametrize("damage", ["truncated", "flipped_payload", "garbage", "other_key", "empty", "wrong_count"])
def test_a_damaged_module_entry_is_ignored_and_rebuilt(cache_dir, pass_runs, damage):
    x = np.linspace(-2, 2, 6, dtype=np.float32)
    expected = np.cos(x) * 7.0 - 2.0
    np.testing.assert_allclose(np.asarray(run_fresh(x)), expected, rtol=1e-6)
    assert len(pass_runs) == 1
    entry = only_module_entry(cache_dir)
    np.testing.assert_allclose(np.asarray(run_fresh(x)), expected, rtol=1e-6)
    assert len(pass_runs) == 1  # warm: the passes were skipped
    data = entry.read_bytes()
    magic, key, _, payload = data.split(b"\n", 3)  # header: magic, key, checksum; then the texts
    one_text = json.dumps(json.loads(payload)[:1]).encode()
    damaged = {
        "truncated": data[: len(data) // 2],
        "flipped_payload": data[:-20] + bytes(b ^ 0xFF for b in data[-20:]),
        "garbage": os.urandom(len(data)),
        "other_key": data.replace(entry.stem.encode(), b"0" * len(entry.stem), 1),
        "empty": b"",
        # a well-formed entry of the wrong shape (as a future format might write): rejected, not misread
        "wrong_count": b"\n".join([magic, key, hashlib.sha256(one_text).hexdigest().encode(), one_text]),
    }[damage]
    entry.write_bytes(damaged)
    before = dict(persistent_cache.stats)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_fresh(x)
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-6)
    assert len(pass_runs) == 2  # rebuilt by running the passes again ...
    assert persistent_cache.stats["module_rejected"] == before["module_rejected"] + 1
    assert persistent_cache.stats["module_writes"] == before["module_writes"] + 1
    assert persistent_cache.stats["rejected"] == before["rejected"]  # (the executable entry was fine)
    assert any("unusable compile-cache entry" in str(w.message) for w in caught)
    assert only_module_entry(cache_dir) == entry  # ... and written again under the same key
    np.testing.assert_allclose(np.asarray(run_fresh(x)), expected, rtol=1e-6)
    assert len(pass_runs) == 2 and persistent_cache.stats["module_hits"] == before["module_hits"] + 1


def test_the_module_shortcut_is_taken_only_where_exact(cache_dir, pass_runs):
    x = runtime.to_device(np.linspace(-1, 1, 5, dtype=np.float32))

    def f(x):
        return np.exp(x) * 2.0 + 1.0

    def entries():
        return sorted(p for p in os.listdir(cache_dir) if p.endswith(".mlir"))

    tracer.jit(f)(x)
    tracer.jit(f, pipeline="canonicalize,cse")(x)  # another pipeline: another entry
    assert len(entries()) == 2
    tracer.jit(f, optimize=False)(x)  # no passes: nothing to skip
    assert len(entries()) == 2
    printing = tracer.jit(f)
    printing.pass_options = {"print_ir_after_all": True, "stream": io.StringIO()}
    printing(x)  # pass options (printing, statistics) are effects: the passes must run
    assert len(entries()) == 2 and printing.pass_options["stream"].getvalue()
    mesh = runtime.make_mesh((1,), ("i",))
    sharded = tracer.jit(f, in_shardings=runtime.NamedSharding(mesh, runtime.PartitionSpec()))
    np.testing.assert_allclose(np.asarray(sharded(x)), np.exp(np.asarray(x)) * 2.0 + 1.0, rtol=1e-6)
    assert len(entries()) == 2  # a sharding plan re-annotates the module after the passes
    assert len(pass_runs) == 4
    tracer.jit(f)(x)
    tracer.jit(f, pipeline="canonicalize,cse")(x)
    assert len(pass_runs) == 4  # both warm


def test_a_module_entry_keeps_which_arguments_the_program_reads(cache_dir, pass_runs):
    x, y = runtime.to_device(np.linspace(-1, 1, 5, dtype=np.float32)), np.linspace(0, 2, 5, dtype=np.float32)

    def f(x, unused, y):
        return np.exp(x) * y

    texts = []
    for _ in range(2):  # new jit functions: the second finds its module on disk
        compiled = tracer.jit(f).compile(x, y, y)
        np.testing.assert_allclose(np.asarray(compiled(x, y, y)), np.exp(np.asarray(x)) * y, rtol=1e-6)
        texts.append(compiled.as_text("optimized"))
    assert len(pass_runs) == 1 and texts[0] == texts[1]
    main = texts[1][texts[1].index("@main("):texts[1].index(") ->")]
    assert main.count("%arg") == 2  # `unused` stays dropped in the warm compile


# --------------------------------------------------------------------------- loading while tracing
# A call site's executable is loaded in the background while its function is traced, on the guess
# that it is the one the site had last time (runtime.prefetch); only the traced module's key decides.


def scaled_cosine(scale):
    """Jit functions of one call site (same code, same signature) whose programs differ by `scale`."""
    return tracer.jit(lambda x: np.cos(x) * scale)


def prefetched():
    return persistent_cache.stats["prefetched"]


def test_a_call_site_seen_before_gets_its_executable_loaded_while_tracing(cache_dir):
    x = runtime.to_device(np.linspace(-2, 2, 6, dtype=np.float32))
    before = prefetched()
    np.testing.assert_allclose(np.asarray(scaled_cosine(2.0)(x)), np.cos(np.asarray(x)) * 2.0, rtol=1e-6)
    assert prefetched() == before  # cold: nothing to guess; the site's key is remembered
    hits = persistent_cache.stats["hits"]
    np.testing.assert_allclose(np.asarray(scaled_cosine(2.0)(x)), np.cos(np.asarray(x)) * 2.0, rtol=1e-6)
    assert prefetched() == before + 1 and persistent_cache.stats["hits"] == hits + 1  # counted once


def test_a_wrong_guess_is_not_taken_and_the_new_executable_is_remembered(cache_dir):
    x = runtime.to_device(np.linspace(-2, 2, 6, dtype=np.float32))
    scaled_cosine(2.0)(x)
    before, writes = prefetched(), persistent_cache.stats["writes"]
    # Same site and signature, another program: the guess (scale 2) loads, but the key says no.
    np.testing.assert_allclose(np.asarray(scaled_cosine(3.0)(x)), np.cos(np.asarray(x)) * 3.0, rtol=1e-6)
    assert prefetched() == before and persistent_cache.stats["writes"] == writes + 1  # compiled anew
    np.testing.assert_allclose(np.asarray(scaled_cosine(3.0)(x)), np.cos(np.asarray(x)) * 3.0, rtol=1e-6)
    assert prefetched() == before + 1  # the site now names scale 3's executable
    hits = persistent_cache.stats["hits"]
    np.testing.assert_allclose(np.asarray(scaled_cosine(2.0)(x)), np.cos(np.asarray(x)) * 2.0, rtol=1e-6)
    assert prefetched() == before + 1 and persistent_cache.stats["hits"] == hits + 1  # a plain disk hit


@pytest.mark.parametrize("damage", ["garbage", "empty", "not_a_key", "a_path"])
def test_a_damaged_hint_is_dropped_without_a_word(cache_dir, damage):
    x = runtime.to_device(np.linspace(-2, 2, 6, dtype=np.float32))
    scaled_cosine(2.0)(x)
    (hint,) = [cache_dir / p for p in os.listdir(cache_dir) if p.endswith(".hint")]
    magic, key, _, _ = hint.read_bytes().split(b"\n", 3)
    # A well-formed hint must still name a key, not a path: a damaged entry found there would be deleted.
    outside = cache_dir.parent / ("v" * 61 + ".xla")
    outside.write_bytes(b"a file outside the cache")
    payload = {"not_a_key": b"not a key" + bytes(55), "a_path": b"../" + b"v" * 61}.get(damage, b"")
    well_formed = b"\n".join([magic, key, hashlib.sha256(payload).hexdigest().encode(), payload])
    hint.write_bytes({"garbage": os.urandom(100), "empty": b""}.get(damage, well_formed))
    before = prefetched()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_allclose(np.asarray(scaled_cosine(2.0)(x)), np.cos(np.asarray(x)) * 2.0, rtol=1e-6)
        prefetch._LOADER.submit(lambda: None).result()  # (a wrong guess's load is not waited for: wait here)
    assert not caught  # a guess is no answer: losing one is not worth a warning
    assert prefetched() == before and outside.exists()  # no guess this time ...
    scaled_cosine(2.0)(x)
    assert prefetched() == before + 1  # ... and the hint was written again


def test_sharded_programs_make_no_guess(cache_dir):
    mesh = runtime.make_mesh((1,), ("i",))
    x = runtime.to_device(np.linspace(-1, 1, 4, dtype=np.float32))
    f = tracer.jit(lambda x: np.sin(x) + 1.0, in_shardings=runtime.NamedSharding(mesh, runtime.PartitionSpec()))
    np.testing.assert_allclose(np.asarray(f(x)), np.sin(np.asarray(x)) + 1.0, rtol=1e-6)
    assert not [p for p in os.listdir(cache_dir) if p.endswith(".hint")]


class Unprintable:
    """A static argument whose repr fails: the guess is skipped, the compile is not."""

    def __hash__(self):
        return 7

    def __eq__(self, other):
        return type(other) is Unprintable

    def __repr__(self):
        raise RuntimeError("no repr")


def test_a_static_argument_that_cannot_be_printed_only_costs_the_guess(cache_dir):
    x = runtime.to_device(np.linspace(-1, 1, 4, dtype=np.float32))
    f = tracer.jit(lambda x, tag: x * 4.0, static_argnums=1)
    np.testing.assert_allclose(np.asarray(f(x, Unprintable())), np.asarray(x) * 4.0)
    assert not [p for p in os.listdir(cache_dir) if p.endswith(".hint")]


# --------------------------------------------------------------------------- what the cache reads, and from where

HOSTILE_CHILD = """
import json, os, sys, warnings, numpy as np, runtime, tracer
from runtime import persistent_cache
directory = sys.argv[1]
runtime.enable_persistent_cache(directory)
x = np.linspace(-2, 2, 6, dtype=np.float32)
fresh = lambda: np.asarray(tracer.jit(lambda x: np.cos(x) * 7.0 - 2.0)(runtime.to_device(x)))
expected = fresh()
(entry,) = [os.path.join(directory, p) for p in os.listdir(directory) if p.endswith(".xla")]
size = os.path.getsize(entry)
os.mkfifo(os.path.join(directory, "fifo"))
damages = {
    "a symlink to a FIFO": lambda: os.symlink(os.path.join(directory, "fifo"), entry),
    "a FIFO": lambda: os.mkfifo(entry),
    "a symlink to /dev/zero": lambda: os.symlink("/dev/zero", entry),
    "a directory": lambda: os.mkdir(entry),
    "larger than MAX_ENTRY_BYTES": lambda: setattr(persistent_cache, "MAX_ENTRY_BYTES", size - 1),
}
results = {}
for name, damage in damages.items():
    fresh()  # (a good entry in place)
    if name != "larger than MAX_ENTRY_BYTES":
        os.remove(entry)
    damage()
    before = dict(persistent_cache.stats)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fresh()
    persistent_cache.MAX_ENTRY_BYTES = 1 << 30
    if os.path.isdir(entry):
        os.rmdir(entry)
    results[name] = {"same": bool((value == expected).all()),
                     "rejected": persistent_cache.stats["rejected"] - before["rejected"],
                     "warning": " ".join(str(w.message) for w in caught if "compile-cache" in str(w.message))}
print(json.dumps(results))
"""


def test_entries_that_are_not_regular_files_of_bounded_size_are_never_read(tmp_path):
    """A symlink to a FIFO hung the process in open(); a symlink to /dev/zero read gigabytes. Each is now
    rejected unread (with the usual warning), and the program recompiled. In a child, under a timeout."""
    from helpers import exit_status, run_isolated

    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    child = run_isolated(HOSTILE_CHILD, str(cache), timeout=180)
    assert child.returncode == 0, exit_status(child)
    results = json.loads(child.stdout.splitlines()[-1])
    reasons = {"a symlink to a FIFO": "symbolic link", "a FIFO": "not a regular file",
               "a symlink to /dev/zero": "symbolic link", "a directory": "not a regular file",
               "larger than MAX_ENTRY_BYTES": "larger than"}
    for name, reason in reasons.items():
        assert results[name]["same"], name
        assert results[name]["rejected"] in (0, 1), name  # (a directory cannot be removed: rejected once more)
        assert "unusable compile-cache entry" in results[name]["warning"] and reason in results[name]["warning"], \
            (name, results[name])


def test_a_cache_directory_others_can_write_to_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    previous = runtime.cache_directory()
    try:
        with pytest.raises(runtime.PersistentCacheError, match=r"may be written by others \(mode 777\).*"
                                                                  r"run code of their choosing"):
            runtime.enable_persistent_cache(shared)
        shared.chmod(0o775)
        with pytest.raises(runtime.PersistentCacheError, match=r"may be written by its group \(mode 775\)"):
            runtime.enable_persistent_cache(shared)
        shared.chmod(0o755)
        runtime.enable_persistent_cache(shared)
        assert runtime.cache_directory() == str(shared)
        made = tmp_path / "new" / "cache"
        runtime.enable_persistent_cache(made)
        assert made.stat().st_mode & 0o777 == 0o700  # created for its owner only
    finally:
        if previous is None:
            runtime.disable_persistent_cache()
        else:
            runtime.enable_persistent_cache(previous)


def test_enabling_the_cache_on_a_file_says_so(tmp_path):
    a_file = tmp_path / "cache"
    a_file.write_text("not a directory")
    with pytest.raises(runtime.PersistentCacheError, match="exists and is not a directory") as info:
        runtime.enable_persistent_cache(a_file)
    assert isinstance(info.value, OSError) and "test_persistent_cache.py" in str(info.value)


def test_an_environment_cache_directory_others_can_write_to_is_ignored_with_a_warning(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env = dict(os.environ, PYREACTANT_CACHE_DIR=str(shared), PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.run([sys.executable, "-W", "always", "-c", CHILD], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=120)
    assert process.returncode == 0, process.stderr
    assert "not using the compile cache" in process.stderr and "may be written by others" in process.stderr
    assert os.listdir(shared) == []
