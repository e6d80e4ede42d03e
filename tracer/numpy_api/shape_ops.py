"""Shape functions: reshape, transpose, broadcast_to, squeeze, expand_dims, ravel, astype, ..."""

from __future__ import annotations

import math

import numpy as np

from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements


def _check_order(name: str, order) -> None:
    if order not in ("C", None):
        raise errors.UnsupportedNumPyError(f"numpy.{name}: order={order!r} is not supported under tracing", fix="use order='C'")


def _resolve_shape(size: int, shape) -> tuple[int, ...]:
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    shape = tuple(int(d) for d in shape)
    unknown = [i for i, d in enumerate(shape) if d == -1]
    known = math.prod(d for d in shape if d != -1)
    if len(unknown) > 1 or any(d < -1 for d in shape):
        raise errors.TracedShapeError(f"invalid shape {shape}: at most one -1 and no other negative sizes")
    if unknown:
        if known == 0 or size % known:
            raise errors.TracedShapeError(f"cannot reshape array of size {size} into shape {shape}")
        shape = shape[: unknown[0]] + (size // known,) + shape[unknown[0] + 1 :]
    if math.prod(shape) != size:
        raise errors.TracedShapeError(
            f"cannot reshape array of size {size} into shape {shape}",
            fix="the new shape must hold the same number of elements",
        )
    return shape


@implements(np.reshape)
def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    _check_order("reshape", order)
    x = P.lift(a)
    return P.reshape(x, _resolve_shape(x.size, shape if shape is not None else newshape))


@implements(np.ravel)
def ravel(a, order="C"):
    _check_order("ravel", order)
    x = P.lift(a)
    return P.reshape(x, (x.size,))


@implements(np.transpose)
def transpose(a, axes=None):
    x = P.lift(a)
    if axes is None:
        permutation = tuple(reversed(range(x.ndim)))
    else:
        permutation = tuple(P.normalize_axis(ax, x.ndim) for ax in axes)
        if sorted(permutation) != list(range(x.ndim)):
            raise errors.TracedShapeError(f"axes {tuple(axes)} don't match array of dimension {x.ndim}")
    return P.transpose(x, permutation)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    x = P.lift(a)
    permutation = list(range(x.ndim))
    i, j = P.normalize_axis(axis1, x.ndim), P.normalize_axis(axis2, x.ndim)
    permutation[i], permutation[j] = permutation[j], permutation[i]
    return P.transpose(x, permutation)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return P.broadcast_to(P.lift(array), shape)


@implements(np.squeeze)
def squeeze(a, axis=None):
    x = P.lift(a)
    if axis is None:
        axes = tuple(d for d, n in enumerate(x.shape) if n == 1)
    else:
        axes = P.normalize_axes(axis, x.ndim)
        if any(x.shape[d] != 1 for d in axes):
            raise errors.TracedShapeError("cannot select an axis to squeeze out which has size not equal to one")
    return P.reshape(x, tuple(n for d, n in enumerate(x.shape) if d not in axes))


@implements(np.expand_dims)
def expand_dims(a, axis):
    x = P.lift(a)
    out_ndim = x.ndim + (1 if np.ndim(axis) == 0 else len(axis))
    axes = P.normalize_axes(axis, out_ndim)
    dims = iter(x.shape)
    return P.reshape(x, tuple(1 if d in axes else next(dims) for d in range(out_ndim)))


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    return P.convert(P.lift(x), np.dtype(dtype))


@implements(np.shape)
def np_shape(a):
    return P.lift(a).shape


@implements(np.ndim)
def np_ndim(a):
    return P.lift(a).ndim


@implements(np.size)
def np_size(a, axis=None):
    x = P.lift(a)
    return x.size if axis is None else x.shape[P.normalize_axis(axis, x.ndim)]


@implements(np.result_type)
def result_type(*arrays_and_dtypes):
    return np.result_type(*(x.dtype if hasattr(x, "_value") else x for x in arrays_and_dtypes))


@implements(np.copy)
def copy(a, order="K", subok=False):
    """A new array object with the same value: in-place writes to it leave `a` alone."""
    x = P.lift(a)
    return P.wrap(x._value, x.shape, x.dtype)
