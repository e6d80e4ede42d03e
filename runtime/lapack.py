"""Makes jaxlib's LAPACK kernels callable from compiled code on CPU (`ir/ops/lapack.py` emits the calls).

Two steps, both needed before a CPU executable that calls them runs, whether compiled now or loaded from
the persistent cache: register the FFI targets with XLA's CPU custom-call registry (process-wide;
registering one again with the same handler is harmless, and `import jax` may already have done it),
and let jaxlib bind its kernels to the LAPACK routines (from SciPy's LAPACK), without which they would
call through null pointers. Public alternative: none; `jax.ffi.register_ffi_target` wraps the same call.
"""

from __future__ import annotations

import functools

__all__ = ["register_lapack"]


@functools.cache
def register_lapack() -> None:
    from jaxlib import lapack, xla_client

    lapack._lapack.initialize()  # (what `lapack.prepare_lapack_call` does before naming a target)
    for platform, targets in lapack.registrations().items():
        for name, handler, api_version in targets:
            xla_client.register_custom_call_target(name, handler, platform, api_version)
