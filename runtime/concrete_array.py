"""`ConcreteArray`: an array that lives on a device, as compiled functions take and return them."""

from __future__ import annotations

import math

import numpy as np

from runtime import _jaxlib
from runtime.errors import DonatedArrayError, ExecutionError, PlacementError

__all__ = ["ConcreteArray", "DonatedBuffer"]


class DonatedBuffer:
    """Stands in for a buffer given to a compiled call through `donate_argnums`.

    Holding this instead of the deleted device buffer lets every later use fail in
    Python with the place of donation, before PJRT is asked to read freed memory.
    """

    __slots__ = ("where",)

    def __init__(self, where: str):
        self.where = where


class ConcreteArray:
    """A device buffer with NumPy's face: `shape`, `dtype`, `np.asarray(a)`.

    Passing it to a compiled function costs no transfer. Outside traced code,
    arithmetic and every other ndarray method (`.T`, `.sum()`, `.astype()`)
    run in NumPy on a host copy (`np.asarray`).

    `signature`: what a compiled program is specialised to, read on every compiled call (so
    computed once): `(shape, dtype)`, and for an array split over several devices
    `(shape, dtype, sharding)`, since a program is compiled for where its inputs live.
    """

    __slots__ = ("_buffer", "shape", "dtype", "signature")
    __array_priority__ = 100

    def __init__(self, buffer):
        self._buffer = buffer
        self.shape: tuple[int, ...] = tuple(buffer.shape)
        self.dtype: np.dtype = np.dtype(buffer.dtype)
        sharding = buffer.sharding
        self.signature: tuple = ((self.shape, self.dtype, sharding) if len(sharding.device_set) > 1
                                 else (self.shape, self.dtype))

    @classmethod
    def wrap(cls, buffer, signature: tuple) -> "ConcreteArray":
        """Wrap a device buffer whose `signature` the caller already knows (a compiled program's results):
        no queries of the buffer, which may still be being computed."""
        array = cls.__new__(cls)
        array._buffer = buffer
        array.shape, array.dtype = signature[0], signature[1]
        array.signature = signature
        return array

    @property
    def is_sharded(self) -> bool:
        """Whether the array is split over (or replicated on) several devices; see `signature`."""
        return len(self.signature) == 3

    def mark_donated(self, where: "str | DonatedBuffer") -> None:
        """Record that a compiled call at `where` took this array's buffer (its buffer is deleted or reused):
        every later use fails, naming `where`. A call that took many buffers passes one `DonatedBuffer` for
        all of them (one object per call, not per array: a training step donates hundreds)."""
        self._buffer = where if type(where) is DonatedBuffer else DonatedBuffer(where)

    def take_buffer(self, buffer) -> None:
        """Hold `buffer` from now on: a compiled call wrote into this array (an argument the traced function
        changed in place) and `buffer`, of the same shape and dtype, is its new value."""
        self._buffer = buffer

    def _live_buffer(self):
        if type(self._buffer) is DonatedBuffer:
            raise DonatedArrayError(
                f"this array was donated (donate_argnums) to the compiled call at {self._buffer.where}; its "
                "buffer now holds that call's result", fix="use the call's result instead, or stop donating the argument")
        return self._buffer

    def _computed_buffer(self):
        """The live buffer, once its computation has finished. A computation that failed raises
        `ExecutionError` here: reading a failed buffer's memory directly aborted the process
        (`Check failed: buffer_.IsConcrete()`), where waiting for it reports XLA's status."""
        buffer = self._live_buffer()
        try:
            buffer.block_until_ready()
        except _jaxlib.JaxRuntimeError as err:
            status = str(err)
            fix = ("the program needs more device memory than is free: use smaller arrays or batches, or free "
                   "arrays you no longer need (del them)" if "RESOURCE_EXHAUSTED" in status else
                   "the status is XLA's; for a traced function, check its inputs and report a pyreactant bug "
                   "with its as_text('optimized')")
            raise ExecutionError(f"the computation of this {self.dtype}{list(self.shape)} array failed: {status}",
                                 fix=fix) from None
        return buffer

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def device(self):
        """The device holding this array; an array split over several devices has none (see `sharding`)."""
        devices = self._live_buffer().devices()
        if len(devices) != 1:
            raise PlacementError(f"this array is split over {len(devices)} devices ({self.sharding}), so it has no "
                                 "single device", fix="read .sharding (its mesh and partition spec) or .devices()")
        (device,) = devices
        return device

    def devices(self) -> set:
        """Every device holding a piece (or a replica) of this array."""
        return set(self._live_buffer().devices())

    @property
    def sharding(self):
        """How the array is laid out: a `runtime.NamedSharding` (mesh + spec) for arrays placed or computed
        with one, a single-device sharding otherwise."""
        return self._live_buffer().sharding

    def __dlpack__(self, *args, **kwargs):
        # Zero-copy exchange (np.from_dlpack, jax.dlpack.from_dlpack, torch ...): the consumer shares the buffer.
        buffer = self._computed_buffer()
        if len(buffer.devices()) != 1:
            raise PlacementError("DLPack describes one device's memory; this array is split over "
                                 f"{len(buffer.devices())} devices",
                                 fix="gather it first (np.asarray(a)) or export its shards one by one")
        return buffer.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._live_buffer().__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        # np.asarray gives a read-only view of the device buffer where the platform allows (CPU);
        # np.array (copy=True) gives a private, writable copy, as NumPy's semantics promise.
        if copy is False:
            raise PlacementError("a ConcreteArray cannot be viewed as a NumPy array without a copy guarantee",
                                 fix="use np.asarray (a read-only view when possible) or np.array (a copy)")
        host = np.asarray(self._computed_buffer())
        if dtype is not None and np.dtype(dtype) != host.dtype:
            return host.astype(dtype)
        return host.copy() if copy else host

    def to_numpy(self) -> np.ndarray:
        return np.array(self._computed_buffer())

    def block_until_ready(self) -> "ConcreteArray":
        self._computed_buffer()
        return self

    def is_ready(self) -> bool:
        """Whether the value is computed (compiled calls return before it is: they are asynchronous)."""
        return self._live_buffer().is_ready()

    def is_deleted(self) -> bool:
        return type(self._buffer) is DonatedBuffer or self._buffer.is_deleted()

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        if type(self._buffer) is DonatedBuffer:
            return f"ConcreteArray(<donated at {self._buffer.where}>, shape={self.shape}, dtype={self.dtype})"
        return f"ConcreteArray({np.asarray(self)!r})"

    def __getitem__(self, index):
        return np.asarray(self)[index]

    def __float__(self):
        return float(np.asarray(self))

    def __int__(self):
        return int(np.asarray(self))

    def __bool__(self):
        return bool(np.asarray(self))

    def __getattr__(self, name):
        # Any other ndarray attribute (.T, .sum(), .astype(), .tolist() ...) of a host copy.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(np.asarray(self), name)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # Outside tracing, compute on the host like NumPy; TracedArray inputs win over us.
        if any(type(x).__name__ == "TracedArray" for x in inputs):
            return NotImplemented
        inputs = tuple(np.asarray(x) if isinstance(x, ConcreteArray) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)


def _host_operator(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
                      "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul}.items():
    _forward, _reflected = _host_operator(_ufunc)
    setattr(ConcreteArray, f"__{_name}__", _forward)
    setattr(ConcreteArray, f"__r{_name}__", _reflected)
for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                      "eq": np.equal, "ne": np.not_equal}.items():
    setattr(ConcreteArray, f"__{_name}__", _host_operator(_ufunc)[0])
for _name, _ufunc in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(ConcreteArray, f"__{_name}__", lambda self, _u=_ufunc: _u(self))
for _name, _ufunc in {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}.items():
    _forward, _reflected = _host_operator(_ufunc)
    setattr(ConcreteArray, f"__{_name}__", _forward)
    setattr(ConcreteArray, f"__r{_name}__", _reflected)
ConcreteArray.__hash__ = None
# `a.buffer`: the device buffer (a `jax.Array`) as held, unchecked: after a donation, the `DonatedBuffer` that
# stands in for it (compiled calls pass it on as it is; host reads check it: `DonatedArrayError`). It is the
# `_buffer` slot's own descriptor under its public name, so a read costs a slot read: compiled calls read it
# for every argument of every call, where a property would add a Python call each time.
ConcreteArray.buffer = ConcreteArray.__dict__["_buffer"]
del _name, _ufunc, _forward, _reflected
