"""Shape functions: reshape, transpose, broadcast_to, squeeze, expand_dims, ravel, astype, ..."""

from __future__ import annotations

import math
import operator

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api import views
from tracer.numpy_api.registry import implements

__all__ = ["astype", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "broadcast_to", "concat", "copy",
           "expand_dims", "flip", "fliplr", "flipud", "moveaxis", "np_ndim", "np_shape", "np_size", "ravel", "repeat",
           "reshape", "resize", "result_type", "roll", "rollaxis", "rot90", "slice_axis", "squeeze", "swapaxes",
           "take_static", "tile", "transpose"]


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
    return views.reshaped(x, _resolve_shape(x.size, shape if shape is not None else newshape))


@implements(np.ravel)
def ravel(a, order="C"):
    _check_order("ravel", order)
    x = P.lift(a)
    return views.reshaped(x, (x.size,))


@implements(np.transpose)
def transpose(a, axes=None):
    x = P.lift(a)
    if axes is None:
        permutation = tuple(reversed(range(x.ndim)))
    else:
        permutation = tuple(P.normalize_axis(ax, x.ndim) for ax in axes)
        if sorted(permutation) != list(range(x.ndim)):
            raise errors.TracedShapeError(f"axes {tuple(axes)} don't match array of dimension {x.ndim}")
    return views.transposed(x, permutation)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    x = P.lift(a)
    permutation = list(range(x.ndim))
    i, j = P.normalize_axis(axis1, x.ndim), P.normalize_axis(axis2, x.ndim)
    permutation[i], permutation[j] = permutation[j], permutation[i]
    return views.transposed(x, permutation)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return views.read_only(P.lift(array), lambda parent: P.broadcast_to(parent, shape))


@implements(np.squeeze)
def squeeze(a, axis=None):
    x = P.lift(a)
    if axis is None:
        axes = tuple(d for d, n in enumerate(x.shape) if n == 1)
    else:
        axes = P.normalize_axes(axis, x.ndim)
        if any(x.shape[d] != 1 for d in axes):
            raise errors.TracedShapeError("cannot select an axis to squeeze out which has size not equal to one")
    return views.reshaped(x, tuple(n for d, n in enumerate(x.shape) if d not in axes), always=True)


@implements(np.expand_dims)
def expand_dims(a, axis):
    x = P.lift(a)
    out_ndim = x.ndim + (1 if np.ndim(axis) == 0 else len(axis))
    axes = P.normalize_axes(axis, out_ndim)
    dims = iter(x.shape)
    return views.reshaped(x, tuple(1 if d in axes else next(dims) for d in range(out_ndim)), always=True)


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


# -- static slicing and gathering along one axis (shared by joining, cumulative, pad ...) ----------

def slice_axis(x, axis: int, start: int, stop: int, step: int = 1):
    """`x[..., start:stop:step, ...]` on `axis` with Python's slice rules (negatives, clamping, step < 0)."""
    indices = range(x.shape[axis])[slice(start, stop, step)]
    return take_static(x, np.asarray(indices, dtype=np.int64), axis)


def _runs(indices: np.ndarray):
    """Split static indices into runs of step +1, -1 or 0: each becomes one slice (reversed or broadcast)."""
    runs, begin = [], 0
    while begin < len(indices):
        end = begin + 1
        if end < len(indices) and indices[end] - indices[begin] in (-1, 0, 1):
            step = indices[end] - indices[begin]
            while end < len(indices) and indices[end] - indices[end - 1] == step:
                end += 1
        runs.append((int(indices[begin]), int(indices[end - 1]), end - begin))
        begin = end
    return runs


def _run_value(x, axis: int, first: int, last: int, count: int):
    low, high = min(first, last), max(first, last)
    start = [0] * x.ndim
    limit = list(x.shape)
    start[axis], limit[axis] = low, high + 1
    shape = tuple(high + 1 - low if d == axis else n for d, n in enumerate(x.shape))
    value = P.wrap(ops.slice(x._value, start, limit, [1] * x.ndim), shape, x.dtype)
    if first > last:
        value = P.wrap(ops.reverse(value._value, [axis]), shape, x.dtype)
    if first == last and count > 1:
        value = P.broadcast_to(value, tuple(count if d == axis else n for d, n in enumerate(shape)))
    return value


def take_static(x, indices, axis: int):
    """`np.take(x, indices, axis)` for static in-range indices: a slice per run of consecutive indices."""
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if len(indices) == 0:
        shape = tuple(0 if d == axis else n for d, n in enumerate(x.shape))
        return P.wrap(ops.slice(x._value, [0] * x.ndim, shape, [1] * x.ndim), shape, x.dtype)
    if np.array_equal(indices, np.arange(x.shape[axis])):
        return x
    return concat([_run_value(x, axis, *run) for run in _runs(indices)], axis)


def concat(xs, axis: int):
    """Concatenate same-dtype TracedArrays along `axis` (NumPy semantics are the caller's)."""
    xs = [x for x in xs if x.shape[axis] > 0] or list(xs[:1])
    if len(xs) == 1:
        return xs[0]
    shape = tuple(sum(x.shape[axis] for x in xs) if d == axis else n for d, n in enumerate(xs[0].shape))
    return P.wrap(ops.concatenate([x._value for x in xs], axis), shape, xs[0].dtype)


def _axis_tuple(axis, ndim: int, name: str = "axis") -> tuple[int, ...]:
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    normalized = tuple(P.normalize_axis(a, ndim) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise errors.TracedShapeError(f"repeated axis in `{name}` argument", fix=f"name each axis once in `{name}`")
    return normalized


# -- moving and flipping axes ----------------------------------------------------------------------

@implements(np.moveaxis)
def moveaxis(a, source, destination):
    x = P.lift(a)
    source, destination = _axis_tuple(source, x.ndim, "source"), _axis_tuple(destination, x.ndim, "destination")
    if len(source) != len(destination):
        raise errors.TracedShapeError("`source` and `destination` arguments must have the same number of elements",
                                      fix="pass one destination per source axis")
    order = [d for d in range(x.ndim) if d not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return views.transposed(x, order)


@implements(np.rollaxis)
def rollaxis(a, axis, start=0):
    x = P.lift(a)
    axis = P.normalize_axis(axis, x.ndim)
    if not -x.ndim <= start <= x.ndim:
        raise errors.TracedAxisError(f"'start' arg requires {-x.ndim} <= start < {x.ndim + 1}, but {start} was passed in",
                                     fix=f"use a start in [{-x.ndim}, {x.ndim}]")
    start = start + x.ndim if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return x
    order = [d for d in range(x.ndim) if d != axis]
    order.insert(start, axis)
    return views.transposed(x, order)


def _reverse(x, axes):
    return views.reversed_along(x, axes)


@implements(np.flip)
def flip(m, axis=None):
    x = P.lift(m)
    return _reverse(x, range(x.ndim) if axis is None else _axis_tuple(axis, x.ndim))


@implements(np.fliplr)
def fliplr(m):
    x = P.lift(m)
    if x.ndim < 2:
        raise errors.TracedShapeError("Input must be >= 2-d.", fix="fliplr flips axis 1; use np.flip(m, 0) for 1-d input")
    return _reverse(x, (1,))


@implements(np.flipud)
def flipud(m):
    x = P.lift(m)
    if x.ndim < 1:
        raise errors.TracedShapeError("Input must be >= 1-d.", fix="a 0-d array has nothing to flip")
    return _reverse(x, (0,))


def _roll_one(x, axis: int, shift: int):
    n = x.shape[axis]
    shift = shift % n if n else 0
    if shift == 0:
        return x
    return concat([slice_axis(x, axis, n - shift, n), slice_axis(x, axis, 0, n - shift)], axis)


@implements(np.roll)
def roll(a, shift, axis=None):
    x = P.lift(a)
    if hasattr(shift, "_value"):
        raise errors.UnsupportedNumPyError("numpy.roll: a traced shift is not supported under tracing",
                                           fix="pass the shift as a Python int (a static argument)")
    if axis is None:
        return P.reshape(roll(P.reshape(x, (x.size,)), shift, 0), x.shape)
    try:
        pairs = np.broadcast(np.asarray(shift), np.asarray(axis))
    except ValueError:
        raise errors.TracedShapeError("'shift' and 'axis' should be scalars or 1D sequences",
                                      fix="give one shift per axis") from None
    totals = [0] * x.ndim
    for s, ax in pairs:
        totals[P.normalize_axis(int(ax), x.ndim)] += int(s)
    for ax, total in enumerate(totals):
        x = _roll_one(x, ax, total)
    return x


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    x = P.lift(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise errors.TracedShapeError("len(axes) must be 2.", fix="pass two axes, e.g. axes=(0, 1)")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == x.ndim:
        raise errors.TracedShapeError("Axes must be different.", fix="pass two different axes")
    if not all(-x.ndim <= ax < x.ndim for ax in axes):
        raise errors.TracedShapeError(f"Axes={axes} out of range for array of ndim={x.ndim}.",
                                      fix=f"use axes in [{-x.ndim}, {x.ndim})")
    first, second = (ax % x.ndim for ax in axes)
    k = operator.index(k) % 4
    if k == 0:
        return x
    if k == 2:
        return _reverse(x, (first, second))
    order = list(range(x.ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return P.transpose(_reverse(x, (second,)), order)
    return _reverse(P.transpose(x, order), (second,))


# -- at-least-n-d and broadcasting -----------------------------------------------------------------

def _at_least(arys, make_shape):
    results = tuple(P.reshape(x, make_shape(x.shape)) for x in map(P.lift, arys))
    return results[0] if len(results) == 1 else results


@implements(np.atleast_1d)
def atleast_1d(*arys):
    return _at_least(arys, lambda s: s or (1,))


@implements(np.atleast_2d)
def atleast_2d(*arys):
    return _at_least(arys, lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s)


@implements(np.atleast_3d)
def atleast_3d(*arys):
    by_rank = {0: lambda s: (1, 1, 1), 1: lambda s: (1,) + s + (1,), 2: lambda s: s + (1,)}
    return _at_least(arys, lambda s: by_rank[len(s)](s) if len(s) < 3 else s)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    xs = [P.lift(a) for a in args]
    shape = P.broadcast_shapes(*(x.shape for x in xs))
    return tuple(views.read_only(x, lambda parent: P.broadcast_to(parent, shape)) for x in xs)


# -- tile, repeat, resize --------------------------------------------------------------------------

@implements(np.tile)
def tile(A, reps):  # noqa: N803 - NumPy's name
    x = P.lift(A)
    reps = (operator.index(reps),) if np.ndim(reps) == 0 else tuple(operator.index(r) for r in reps)
    rank = max(len(reps), x.ndim)
    reps = (1,) * (rank - len(reps)) + reps
    shape = (1,) * (rank - x.ndim) + x.shape
    # Each axis n becomes (r, n): a broadcast, then one reshape merges the pairs.
    interleaved = tuple(v for pair in zip((1,) * rank, shape) for v in pair)
    stretched = tuple(v for pair in zip(reps, shape) for v in pair)
    x = P.broadcast_to(P.reshape(x, interleaved), stretched)
    return P.reshape(x, tuple(r * n for r, n in zip(reps, shape)))


def _repeat_counts(repeats, n: int) -> np.ndarray:
    if hasattr(repeats, "_value"):
        raise errors.UnsupportedNumPyError("numpy.repeat: traced repeats give a data-dependent shape",
                                           fix="pass repeats as Python ints or a NumPy array (static)")
    counts = np.asarray(repeats)
    counts = counts.astype(np.int64) if counts.size == 0 else counts
    if counts.dtype.kind not in "iub":
        raise errors.TracedTypeError(f"Cannot cast array data from {counts.dtype!r} to dtype('int64') according to the rule 'safe'",
                                     fix="pass integer repeats")
    if np.any(counts < 0):
        raise errors.TracedShapeError("repeats may not contain negative values.", fix="pass repeats >= 0")
    if counts.ndim > 1 or (counts.size not in (1, n)):
        raise errors.TracedShapeError(f"operands could not be broadcast together with shape ({n},) ({counts.size},)",
                                      fix="pass one repeat count, or one per element along the axis")
    return np.broadcast_to(counts.reshape(-1), (n,))


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    x = P.lift(a)
    if axis is None:
        x, axis = P.reshape(x, (x.size,)), 0
    axis = P.normalize_axis(axis, x.ndim)
    counts = _repeat_counts(repeats, x.shape[axis])
    if counts.size and np.all(counts == counts[0]):  # one count: a broadcast and a reshape
        r = int(counts[0])
        expanded = x.shape[: axis + 1] + (1,) + x.shape[axis + 1:]
        stretched = x.shape[: axis + 1] + (r,) + x.shape[axis + 1:]
        merged = x.shape[:axis] + (x.shape[axis] * r,) + x.shape[axis + 1:]
        return P.reshape(P.broadcast_to(P.reshape(x, expanded), stretched), merged)
    return take_static(x, np.repeat(np.arange(x.shape[axis]), counts), axis)


@implements(np.resize)
def resize(a, new_shape):
    x = P.lift(a)
    new_shape = (operator.index(new_shape),) if np.ndim(new_shape) == 0 else tuple(operator.index(d) for d in new_shape)
    if any(d < 0 for d in new_shape):
        raise errors.TracedShapeError("all elements of `new_shape` must be non-negative", fix="pass sizes >= 0")
    total = math.prod(new_shape)
    if x.size == 0 or total == 0:
        return P.full(new_shape, 0, x.dtype)
    flat = P.reshape(x, (x.size,))
    copies = -(-total // x.size)
    cycled = P.reshape(P.broadcast_to(P.reshape(flat, (1, x.size)), (copies, x.size)), (copies * x.size,))
    return P.reshape(slice_axis(cycled, 0, 0, total), new_shape)
