"""The on-disk compile cache: serialized XLA executables, one file per (module, options, platform, jaxlib).

Enabled by `enable_persistent_cache(path)` or the PYREACTANT_CACHE_DIR environment variable.
A warm process skips XLA's compile entirely: PJRT deserializes the executable.

Robustness: every entry starts with a header holding its own key, and a file that cannot be
read, has the wrong key, or that PJRT refuses is deleted and recompiled, never raised.
Writes go to a temporary file in the same directory and `os.replace` it into place, so a
reader in another process sees either the old file, no file, or the whole new one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings

import jaxlib

from runtime import _jaxlib

ENVIRONMENT_VARIABLE = "PYREACTANT_CACHE_DIR"
_MAGIC = b"pyreactant-executable-v1\n"

_directory: str | None = os.environ.get(ENVIRONMENT_VARIABLE) or None
# Counters for tests and benchmarks: what the last lookups did.
stats = {"hits": 0, "misses": 0, "rejected": 0, "writes": 0}


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


def entry_key(module_text: str, options, client) -> str:
    """What decides the executable: the module, every compile option (partitions, device ids),
    the platform and its version, and the jaxlib that compiled it."""
    digest = hashlib.sha256()
    for part in (module_text.encode(), options.SerializeAsString(), client.platform.encode(),
                 client.platform_version.encode(), jaxlib.__version__.encode()):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def _path(key: str) -> str:
    return os.path.join(_directory, f"{key}.xla")


def load(key: str, client, device_list, options):
    """The cached executable for `key`, or None (missing, unreadable, stale or corrupted: then deleted)."""
    if _directory is None:
        return None
    path = _path(key)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        stats["misses"] += 1
        return None
    header = _MAGIC + key.encode() + b"\n"
    try:
        if not data.startswith(header):
            raise ValueError("its header does not match the key")
        digest, _, payload = data[len(header):].partition(b"\n")
        # Checked before PJRT sees the bytes: deserializing damaged bytes is not guaranteed to fail cleanly.
        if digest != hashlib.sha256(payload).hexdigest().encode():
            raise ValueError("its checksum does not match its contents")
        loaded = client.deserialize_executable(payload, device_list, options)
    except Exception as err:  # noqa: BLE001  (any failure means: recompile)
        stats["rejected"] += 1
        warnings.warn(f"pyreactant: ignoring the unusable compile-cache entry {path} ({err}); recompiling",
                      RuntimeWarning, stacklevel=3)
        _remove(path)
        return None
    stats["hits"] += 1
    return loaded


def store(key: str, client, loaded) -> None:
    """Write `loaded` for `key` atomically; a full disk or a read-only directory only costs the cache."""
    if _directory is None:
        return
    try:
        payload = bytes(client.serialize_executable(loaded))
        data = _MAGIC + key.encode() + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
        handle, temporary = tempfile.mkstemp(dir=_directory, prefix=f".{key[:16]}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, _path(key))
        except BaseException:
            _remove(temporary)
            raise
        stats["writes"] += 1
    except (OSError, _jaxlib.JaxRuntimeError) as err:
        warnings.warn(f"pyreactant: could not write the compile cache in {_directory}: {err}",
                      RuntimeWarning, stacklevel=3)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
