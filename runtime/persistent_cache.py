"""The on-disk compile cache: serialized XLA executables, one file per (module, options, platform, jaxlib),
and the optimised module texts of traced modules, one file per (traced module, pipeline, our passes' source).

Enabled by `enable_persistent_cache(path)` or the PYREACTANT_CACHE_DIR environment variable.
A warm process skips our pass pipeline (`load_texts`: the traced module's optimised texts) and XLA's
compile (`load`: PJRT deserializes the executable).

Module-texts entries (`<key>.mlir`) hold our optimised module, as printed and with debug info, for a
traced module; `tracer.compiled` keys them by the traced text with its source locations, the pipeline,
a digest of the `passes` and `ir` sources and NumPy's version (+ jaxlib's, here), and takes them only
where that is exact: no sharding plan (which annotates the module after the passes) and no pass options
(printing IR is an effect the caller asked for). Executable entries (`<key>.xla`) are keyed by the
optimised text itself, so either entry may be missing and the other still serves. Hint entries
(`<hint>.hint`) name the executable key a call site had last time, for `runtime.prefetch`.

Robustness: every entry starts with a header holding its own key and a checksum, and a file that
cannot be read, has the wrong key or checksum, or that PJRT refuses is deleted and rebuilt, never raised.
Writes go to a temporary file in the same directory and `os.replace` it into place, so a
reader in another process sees either the old file, no file, or the whole new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings

import jaxlib

from runtime import _jaxlib

__all__ = ["ENVIRONMENT_VARIABLE", "cache_directory", "disable_persistent_cache", "enable_persistent_cache", "entry_key",
           "load", "load_hint", "load_texts", "parts_key", "stats", "store", "store_hint", "store_texts"]

ENVIRONMENT_VARIABLE = "PYREACTANT_CACHE_DIR"
_MAGIC = b"pyreactant-executable-v1\n"
_TEXT_MAGIC = b"pyreactant-module-texts-v1\n"
_HINT_MAGIC = b"pyreactant-call-site-hint-v1\n"

_directory: str | None = os.environ.get(ENVIRONMENT_VARIABLE) or None
# Counters for tests and benchmarks: what the lookups did; "module_*" count the optimised-module entries.
# "prefetched": hits loaded in the background while tracing (see runtime.prefetch).
stats = {"hits": 0, "misses": 0, "rejected": 0, "writes": 0, "prefetched": 0,
         "module_hits": 0, "module_misses": 0, "module_rejected": 0, "module_writes": 0}


def enable_persistent_cache(path: str | os.PathLike) -> None:
    """Keep compiled executables under `path` (created if missing) and reuse them across processes."""
    global _directory
    os.makedirs(path, exist_ok=True)
    _directory = os.fspath(path)


def disable_persistent_cache() -> None:
    global _directory
    _directory = None


def cache_directory() -> str | None:
    return _directory


def _digest(parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def entry_key(module_text: str, options, client) -> str:
    """What decides the executable: the module, every compile option (partitions, device ids),
    the platform and its version, and the jaxlib that compiled it."""
    return _digest((module_text.encode(), options.SerializeAsString(), client.platform.encode(),
                    client.platform_version.encode(), jaxlib.__version__.encode()))


def parts_key(*parts: str) -> str:
    """The key of a module-texts or call-site hint entry: a digest of everything the caller says decides
    the entry (for texts: the traced module with its locations, the pipeline, a fingerprint of the passes'
    code; for hints: what names the call site), and of the jaxlib whose MLIR ran the passes."""
    return _digest((*(part.encode() for part in parts), jaxlib.__version__.encode()))


def _path(key: str, suffix: str = ".xla") -> str:
    return os.path.join(_directory, key + suffix)


def load(key: str, client, device_list, options, *, speculative: bool = False):
    """The cached executable for `key`, or None (missing, unreadable, stale or corrupted: then deleted).

    `speculative`: a guess loaded in the background (runtime.prefetch), which counts nothing and leaves
    a damaged entry alone: if the guess was right, the caller's own `load` meets it, and warns from
    the caller's thread."""
    if _directory is None:
        return None
    path = _path(key)
    try:
        # Checked before PJRT sees the bytes: deserializing damaged bytes is not guaranteed to fail cleanly.
        payload = _read_checked(path, _MAGIC, key)
        if payload is None:
            stats["misses"] += not speculative
            return None
        loaded = client.deserialize_executable(payload, device_list, options)
    except Exception as err:  # noqa: BLE001  (any failure means: recompile)
        if not speculative:
            _reject(path, err, "rejected", stacklevel=4)
        return None
    stats["hits"] += not speculative
    return loaded


def load_texts(key: str, count: int) -> list[str] | None:
    """The `count` texts stored under `key` by `store_texts`, or None (missing, or damaged: then deleted)."""
    if _directory is None:
        return None
    path = _path(key, ".mlir")
    try:
        payload = _read_checked(path, _TEXT_MAGIC, key)
        if payload is None:
            stats["module_misses"] += 1
            return None
        texts = json.loads(payload.decode())
        if not (isinstance(texts, list) and len(texts) == count and all(isinstance(t, str) for t in texts)):
            raise ValueError(f"it does not hold {count} texts")
    except Exception as err:  # noqa: BLE001  (any failure means: run the passes again)
        _reject(path, err, "module_rejected", stacklevel=4)
        return None
    stats["module_hits"] += 1
    return texts


def load_hint(hint: str) -> str | None:
    """The executable key stored for the call site `hint`, or None (missing, or damaged: then deleted)."""
    if _directory is None:
        return None
    path = _path(hint, ".hint")
    try:
        payload = _read_checked(path, _HINT_MAGIC, hint)
        if payload is None:
            return None
        key = payload.decode()
        if len(key) != 64 or key.strip("0123456789abcdef"):
            raise ValueError("it does not hold a key")
    except Exception:  # noqa: BLE001  (any failure means: no guess; a guess is no answer, so no warning)
        _remove(path)
        return None
    return key


def store_hint(hint: str, key: str) -> None:
    """Remember `key` as the executable of the call site `hint` (atomically; a failure only costs the guess)."""
    if _directory is None:
        return
    try:
        _write(_path(hint, ".hint"), _HINT_MAGIC, hint, key.encode())
    except OSError:
        pass


def _read_checked(path: str, magic: bytes, key: str) -> bytes | None:
    """The payload of the entry at `path`, None when there is none; raises when it is damaged or stale."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        return None
    header = magic + key.encode() + b"\n"
    if not data.startswith(header):
        raise ValueError("its header does not match the key")
    digest, _, payload = data[len(header):].partition(b"\n")
    if digest != hashlib.sha256(payload).hexdigest().encode():
        raise ValueError("its checksum does not match its contents")
    return payload


def _reject(path: str, err: Exception, counter: str, stacklevel: int) -> None:
    stats[counter] += 1
    warnings.warn(f"pyreactant: ignoring the unusable compile-cache entry {path} ({err}); recompiling",
                  RuntimeWarning, stacklevel=stacklevel)
    _remove(path)


def store(key: str, client, loaded) -> None:
    """Write `loaded` for `key` atomically; a full disk or a read-only directory only costs the cache."""
    if _directory is None:
        return
    try:
        _write(_path(key), _MAGIC, key, bytes(client.serialize_executable(loaded)))
        stats["writes"] += 1
    except (OSError, _jaxlib.JaxRuntimeError) as err:
        warnings.warn(f"pyreactant: could not write the compile cache in {_directory}: {err}",
                      RuntimeWarning, stacklevel=3)


def store_texts(key: str, texts: list[str]) -> None:
    """Write `texts` for `key` atomically (as `store`); a failure only costs the cache."""
    if _directory is None:
        return
    try:
        _write(_path(key, ".mlir"), _TEXT_MAGIC, key, json.dumps(list(texts)).encode())
        stats["module_writes"] += 1
    except OSError as err:
        warnings.warn(f"pyreactant: could not write the compile cache in {_directory}: {err}",
                      RuntimeWarning, stacklevel=3)


def _write(path: str, magic: bytes, key: str, payload: bytes) -> None:
    """Header (magic, key, checksum) and payload to a temporary file, then renamed over `path`: readers in
    other processes see the old file, none, or the whole new one. The directory is made if missing
    (PYREACTANT_CACHE_DIR may name one that does not exist yet)."""
    data = magic + key.encode() + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    os.makedirs(_directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=_directory, prefix=f".{key[:16]}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
