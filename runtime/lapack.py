"""Makes jaxlib's LAPACK kernels callable from compiled code on CPU (`ir/ops/lapack.py` emits the calls).

Two steps, both needed before a CPU executable that calls them runs, whether compiled now or loaded from
the persistent cache: register the FFI targets with XLA's CPU custom-call registry (process-wide;
registering one again with the same handler is harmless, and `import jax` may already have done it),
and let jaxlib bind its kernels to the LAPACK routines (SciPy's), without which they would call through
null pointers. Public alternative: none; `jax.ffi.register_ffi_target` wraps the same call.

Where that fails (no SciPy), `lapack_available()` is False and the tracer lowers np.linalg without LAPACK.
"""

from __future__ import annotations

import functools
import warnings

__all__ = ["lapack_available", "register_lapack"]


@functools.cache
def register_lapack() -> bool:
    """Register the kernels (once per process); whether they can be called."""
    from jaxlib import lapack, xla_client

    try:
        lapack._lapack.initialize()  # (what `lapack.prepare_lapack_call` does before naming a target)
    except Exception as err:  # noqa: BLE001  (jaxlib reports a missing SciPy in several ways)
        warnings.warn(f"LAPACK kernels unavailable ({err}); np.linalg traces without them", RuntimeWarning,
                      stacklevel=2)
        return False
    for platform, targets in lapack.registrations().items():
        for name, handler, api_version in targets:
            xla_client.register_custom_call_target(name, handler, platform, api_version)
    return True


def lapack_available() -> bool:
    return register_lapack()
