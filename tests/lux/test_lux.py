"""The `lux` package's public names: each module says what it exports (`__all__`), and `lux`
re-exports those of its public modules; submodules are not public names (but the `lux.init` namespace)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import lux

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(lux.__path__, "lux."))
# Modules whose every export is public; from the others lux takes the layer contract and the errors.
WHOLLY_PUBLIC = ["lux.activations", "lux.compact", "lux.ops", "lux.precision", "lux.stateful",
                 *(name for name in MODULES if name.startswith("lux.layers."))]


def test_every_module_lists_its_exports_and_defines_them():
    for name in MODULES:
        module = importlib.import_module(name)
        assert isinstance(module.__all__, list), name
        assert all(hasattr(module, export) for export in module.__all__), name


def test_lux_reexports_its_public_modules_and_no_submodule():
    public = set(lux.__all__)
    for name in WHOLLY_PUBLIC:
        assert set(importlib.import_module(name).__all__) <= public, name
    assert {"setup", "apply", "AbstractLayer", "layer", "LayerInputError", "LuxError"} <= public
    # The namespaces Lux users reach through lux (lux.init.glorot_uniform, lux.optimisers.Adam, lux.Training.TrainState),
    # and no implementation submodule (core, errors, ...).
    assert sorted(name for name in lux.__all__ if isinstance(getattr(lux, name), types.ModuleType)) == [
        "Training", "init", "optimisers"]
    assert len(lux.__all__) == len(public) and all(hasattr(lux, name) for name in lux.__all__)
