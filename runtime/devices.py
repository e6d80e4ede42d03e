"""Platforms and devices: the best one present by default (TPU, then GPU, then CPU, as JAX ranks
the PJRT plugins it finds), or the one `set_default_backend` names."""

from __future__ import annotations

from runtime import _jaxlib

__all__ = ["client", "default_device", "devices", "set_default_backend"]

# None: the highest-priority platform whose PJRT plugin is installed and finds a device.
_default_platform: str | None = None


def set_default_backend(platform: str | None) -> None:
    """Choose "cpu", "gpu" or "tpu" for new compilations; None (the default) picks the best available."""
    global _default_platform
    if platform is not None:
        _jaxlib.get_client(platform)  # fail now, with the client's own message, if it is absent
    _default_platform = platform


def client(platform: str | None = None):
    """The PJRT client of `platform`, else of the default platform."""
    return _jaxlib.get_client(platform or _default_platform)


def devices(platform: str | None = None) -> list:
    return list(client(platform).devices())


def default_device():
    """This process's first device (with several processes, `devices()` also lists the others')."""
    return client().local_devices()[0]
