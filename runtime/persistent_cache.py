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
Only regular files of at most `MAX_ENTRY_BYTES` are read, opened without following symbolic links and
without blocking (a link to a FIFO hung the process, one to /dev/zero read gigabytes).
Writes go to a temporary file in the same directory and `os.replace` it into place, so a
reader in another process sees either the old file, no file, or the whole new one.

Trust: an executable entry is machine code that PJRT loads and runs; the checksum catches damage,
not intent (a changed payload with a recomputed checksum aborted XLA). So whoever can write to the
directory can run code in every process that uses it: the directory must belong to the user and be
writable by no one else. `enable_persistent_cache` creates it that way (mode 0700) and refuses one
that is not; a PYREACTANT_CACHE_DIR that is not is ignored with a warning.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
import warnings

import jaxlib

from runtime import _jaxlib
from runtime.errors import PersistentCacheError

__all__ = ["ENVIRONMENT_VARIABLE", "MAX_ENTRY_BYTES", "cache_directory", "disable_persistent_cache", "enable_persistent_cache", "entry_key",
           "load", "load_hint", "load_texts", "parts_key", "stats", "store", "store_hint", "store_texts"]

ENVIRONMENT_VARIABLE = "PYREACTANT_CACHE_DIR"
_MAGIC = b"pyreactant-executable-v1\n"
_TEXT_MAGIC = b"pyreactant-module-texts-v1\n"
_HINT_MAGIC = b"pyreactant-call-site-hint-v1\n"

# An entry larger than this is neither written nor read (a served model's executable is tens of MB).
MAX_ENTRY_BYTES = 1 << 30

_directory: str | None = os.environ.get(ENVIRONMENT_VARIABLE) or None
_trusted: str | None = None  # the directory whose ownership and permissions were last checked and found safe
# Counters for tests and benchmarks: what the lookups did; "module_*" count the optimised-module entries.
# "prefetched": hits loaded in the background while tracing (see runtime.prefetch).
stats = {"hits": 0, "misses": 0, "rejected": 0, "writes": 0, "prefetched": 0,
         "module_hits": 0, "module_misses": 0, "module_rejected": 0, "module_writes": 0}


def enable_persistent_cache(path: str | os.PathLike) -> None:
    """Keep compiled executables under `path` and reuse them across processes.

    `path` is created (mode 0700) if missing. It must be a directory of this user's that no one else
    can write to: its entries are machine code this process will run (`PersistentCacheError` otherwise).
    """
    global _directory, _trusted
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise PersistentCacheError(f"the cache directory {path} exists and is not a directory",
                                   fix="give the path of a directory (it is created if missing), not of a file")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as err:
        raise PersistentCacheError(f"cannot create the cache directory {path}: {err.strerror}",
                                   fix="give a directory you can create and write to") from None
    problem = _untrusted(path)
    if problem:
        raise PersistentCacheError(f"the cache directory {path} {problem}: whoever can write to it can make this "
                                   "process run code of their choosing (its entries are compiled machine code)",
                                   fix=f"use a directory only you can write to (chmod go-w {path}, or a new one "
                                       "such as ~/.cache/pyreactant)")
    _directory, _trusted = path, path


def disable_persistent_cache() -> None:
    global _directory
    _directory = None


def cache_directory() -> str | None:
    """The cache's directory, or None when the cache is off. A PYREACTANT_CACHE_DIR that others may
    write to is checked on first use, and turned off with a warning."""
    global _directory, _trusted
    if _directory is not None and _directory != _trusted:
        problem = _untrusted(_directory) if os.path.exists(_directory) else None
        if problem:
            warnings.warn(f"pyreactant: not using the compile cache {_directory} ({ENVIRONMENT_VARIABLE}): it {problem}, "
                          "and whoever can write to it could make this process run code of their choosing; "
                          f"chmod go-w {_directory}, or use a directory only you can write to", RuntimeWarning, stacklevel=3)
            _directory = None
            return None
        _trusted = _directory
    return _directory


def _untrusted(path: str) -> str | None:
    """Why `path` (an existing directory) is not safe to load executables from, or None when it is: it must
    belong to this user and be writable by no one else (on systems with POSIX permissions)."""
    if os.name != "posix":
        return None
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.geteuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"may be written by {'others' if info.st_mode & stat.S_IWOTH else 'its group'} (mode {stat.S_IMODE(info.st_mode):o})"
    return None


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


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_checked(path: str, magic: bytes, key: str) -> bytes | None:
    """The payload of the entry at `path`, None when there is none; raises when it is damaged or stale,
    or is not a regular file of at most MAX_ENTRY_BYTES (a link, a FIFO, a device: never opened or read)."""
    try:
        handle = os.open(path, _OPEN_FLAGS)  # (no symlink followed; a FIFO opens without waiting for a writer)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ValueError("it is a symbolic link, not a file the cache wrote") from None
        return None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
        os.close(handle)
        raise ValueError("it is not a regular file" if not stat.S_ISREG(info.st_mode) else
                         f"it is larger than {MAX_ENTRY_BYTES} bytes")
    with os.fdopen(handle, "rb") as file:
        data = file.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise ValueError(f"it is larger than {MAX_ENTRY_BYTES} bytes")
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
    if len(data) > MAX_ENTRY_BYTES:
        raise OSError(errno.EFBIG, f"the entry would be larger than {MAX_ENTRY_BYTES} bytes (MAX_ENTRY_BYTES)")
    os.makedirs(_directory, mode=0o700, exist_ok=True)
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
