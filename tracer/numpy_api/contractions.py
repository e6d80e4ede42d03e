"""Products: einsum, tensordot, vdot, inner, outer, kron, cross, convolve/correlate, and the
diagonal family (diagonal, trace, diag, diagflat), with their `np.linalg` array-API twins.

Every sum of products is one `stablehlo.dot_general` (`products.contract`); diagonals are strided
slices of a flattened matrix and diagonal matrices are interior padding, so no op here
gathers, scatters or multiplies by a mask (a mask times inf would be nan where NumPy has 0).
"""

from __future__ import annotations

import operator
import string

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.products import contract
from tracer.numpy_api import views
from tracer.numpy_api.promotion import ufunc_loop_dtypes
from tracer.numpy_api.registry import implements, ufunc_rule
from tracer.traced_array import TracedArray, is_traced

__all__ = ["diagonal_matrix", "einsum_traced", "linalg_cross", "linalg_diagonal", "linalg_matmul", "linalg_multi_dot",
           "linalg_outer", "linalg_tensordot", "linalg_trace", "linalg_vecdot", "matrix_transpose",
           "move_axis_to_end", "np_convolve", "np_correlate", "np_cross", "np_diag", "np_diagflat", "np_diagonal",
           "np_einsum", "np_inner", "np_kron", "np_outer", "np_tensordot", "np_trace", "np_vdot", "sum_axes",
           "take_diagonal", "vecdot"]


# -- shared helpers ------------------------------------------------------------------------------

def _dtype_of(x) -> np.dtype:
    return x.dtype if is_traced(x) else np.asarray(x).dtype


def _lift_all(*arrays, dtype=None) -> list[TracedArray]:
    """The operands as TracedArrays of one dtype: `dtype`, or NumPy's result type of theirs."""
    dtype = np.result_type(*(_dtype_of(a) for a in arrays)) if dtype is None else np.dtype(dtype)
    return [P.lift(a, dtype) for a in arrays]


def sum_axes(x: TracedArray, axes) -> TracedArray:
    """Sum over `axes` in x's own dtype (wrapping like NumPy's einsum); bools sum as logical or."""
    axes = sorted(set(axes))
    if not axes:
        return x
    combiner = ops.or_ if x.dtype == np.bool_ else ops.add
    value = ops.reduce(x._value, ops.constant(np.zeros((), x.dtype)), axes, combiner)
    return P.wrap(value, tuple(n for d, n in enumerate(x.shape) if d not in axes), x.dtype)


def move_axis_to_end(x: TracedArray, axis: int) -> TracedArray:
    axis = P.normalize_axis(axis, x.ndim)
    return P.transpose(x, [d for d in range(x.ndim) if d != axis] + [axis])


def _slice_last(x: TracedArray, start: int, stop: int, step: int = 1) -> TracedArray:
    """x[..., start:stop:step] for 0 <= start <= stop <= x.shape[-1]."""
    begin, limit, strides = [0] * x.ndim, list(x.shape), [1] * x.ndim
    begin[-1], limit[-1], strides[-1] = start, stop, step
    value = ops.slice(x._value, begin, limit, strides)
    return P.wrap(value, ops.shape_of(value), x.dtype)


def _stack_last(parts: list[TracedArray]) -> TracedArray:
    """Same-shape arrays stacked along a new last axis."""
    shape = parts[0].shape + (1,)
    value = ops.concatenate([P.reshape(p, shape)._value for p in parts], len(shape) - 1)
    return P.wrap(value, parts[0].shape + (len(parts),), parts[0].dtype)


# -- diagonals -----------------------------------------------------------------------------------

def take_diagonal(x: TracedArray, offset: int, axis1: int, axis2: int) -> TracedArray:
    """NumPy's diagonal: the two axes leave, the diagonal becomes the last axis.

    Flattened row-major, element (i, i + offset) of an r x c matrix sits at i * (c + 1) + offset,
    so the diagonal is one strided slice: exact for every value, -0.0 and nan included.
    """
    if x.ndim < 2:
        raise errors.TracedShapeError("diag requires an array of at least two dimensions")
    axis1, axis2 = P.normalize_axis(axis1, x.ndim), P.normalize_axis(axis2, x.ndim)
    if axis1 == axis2:
        raise errors.TracedShapeError("axis1 and axis2 cannot be the same")
    rest = [d for d in range(x.ndim) if d not in (axis1, axis2)]
    x = P.transpose(x, rest + [axis1, axis2])
    rows, cols = x.shape[-2:]
    offset = operator.index(offset)
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    flat = P.reshape(x, x.shape[:-2] + (rows * cols,))
    if length == 0:
        return _slice_last(flat, 0, 0)
    start = offset if offset >= 0 else -offset * cols
    return _slice_last(flat, start, start + (length - 1) * (cols + 1) + 1, cols + 1)


def diagonal_matrix(v: TracedArray, k: int) -> TracedArray:
    """The square matrix with 1-d `v` on its k-th diagonal: `v` padded with N zeros between elements."""
    k = operator.index(k)
    n = v.shape[0]
    size = n + abs(k)
    if n == 0:
        return P.full((size, size), 0, v.dtype)
    start = k if k >= 0 else -k * size
    end = start + (n - 1) * (size + 1) + 1
    zero = ops.constant(np.zeros((), v.dtype))
    flat = ops.pad(v._value, zero, [start], [size * size - end], [size])
    return P.reshape(P.wrap(flat, (size * size,), v.dtype), (size, size))


@implements(np.diagonal)
def np_diagonal(a, offset=0, axis1=0, axis2=1):
    return views.read_only(P.lift(a), lambda parent: take_diagonal(parent, offset, axis1, axis2))


@implements(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0):
    return views.read_only(P.lift(x), lambda parent: take_diagonal(parent, offset, -2, -1))


@implements(np.trace)
def np_trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _refuse_out("trace", out)
    return np.sum(take_diagonal(P.lift(a), offset, axis1, axis2), axis=-1, dtype=dtype)


@implements(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None):
    return np.sum(take_diagonal(P.lift(x), offset, -2, -1), axis=-1, dtype=dtype)


@implements(np.diag)
def np_diag(v, k=0):
    x = P.lift(v)
    if x.ndim == 1:
        return diagonal_matrix(x, k)
    if x.ndim == 2:
        return take_diagonal(x, k, 0, 1)
    raise errors.TracedShapeError("Input must be 1- or 2-d.", fix="use np.diagonal(a, offset, axis1, axis2) for stacks")


@implements(np.diagflat)
def np_diagflat(v, k=0):
    x = P.lift(v)
    return diagonal_matrix(P.reshape(x, (x.size,)), k)


def _refuse_out(name: str, out) -> None:
    if out is not None:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: out= is not supported under tracing",
                                           fix="assign the result to a name instead")


# -- einsum --------------------------------------------------------------------------------------

# Dims covered by '...' get labels outside ASCII letters, numbered from the right, so operands of
# different ranks line up their trailing dims as broadcasting does.
_ELLIPSIS_BASE = 0x100


def _ellipsis_labels(count: int) -> str:
    return "".join(chr(_ELLIPSIS_BASE + j) for j in reversed(range(count)))


def _check_letters(term: str) -> None:
    for char in term.replace("...", ""):
        if char not in string.ascii_letters:
            raise errors.TracedShapeError(
                f"invalid subscript '{char}' in einstein sum subscripts string, subscripts must be letters",
                fix="use one letter (a-z, A-Z) per axis and '...' for broadcast axes")


def _expand_term(term: str, ndim: int, position: int) -> str:
    """A term's labels with '...' replaced by one label per dim it covers."""
    _check_letters(term)
    if term.count("...") > 1 or term.replace("...", "").count(".") > 0:
        raise errors.TracedShapeError(f"einstein sum subscripts string contains a '.' that is not part of an ellipsis ('...') in operand {position}")
    letters = len(term.replace("...", ""))
    if "..." not in term:
        if letters != ndim:
            raise errors.TracedShapeError(
                f"einstein sum subscripts string contains too {'many' if letters > ndim else 'few'} subscripts "
                f"for operand {position}: {letters} subscripts for {ndim} dimensions",
                fix="give one subscript per axis, or '...' for the axes not named")
        return term
    if letters > ndim:
        raise errors.TracedShapeError(f"einstein sum subscripts string contains too many subscripts for operand {position}")
    return term.replace("...", _ellipsis_labels(ndim - letters))


def _parse_subscripts(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """(labels of each operand, labels of the output), with '...' expanded and implicit output filled in."""
    subscripts = subscripts.replace(" ", "")
    if subscripts.count("->") > 1 or ("-" in subscripts.replace("->", "")) or (">" in subscripts.replace("->", "")):
        raise errors.TracedShapeError("einstein sum subscript string does not contain proper '->' output specified")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise errors.TracedShapeError(
            f"einsum: the subscripts name {len(terms)} operand(s) but {len(ndims)} were given",
            fix="give one comma-separated term per operand")
    labels = [_expand_term(term, ndim, i) for i, (term, ndim) in enumerate(zip(terms, ndims))]
    ellipsis_rank = max((ndim - len(t.replace("...", "")) for t, ndim in zip(terms, ndims) if "..." in t), default=0)
    if not arrow:
        counts = {c: "".join(labels).count(c) for c in set("".join(labels)) if ord(c) < _ELLIPSIS_BASE}
        return labels, _ellipsis_labels(ellipsis_rank) + "".join(sorted(c for c, n in counts.items() if n == 1))
    _check_letters(output)
    output = output.replace("...", _ellipsis_labels(ellipsis_rank))
    for char in output:
        if output.count(char) > 1:
            raise errors.TracedShapeError(f"einstein sum subscripts string includes output subscript '{char}' multiple times")
        if not any(char in term for term in labels):
            raise errors.TracedShapeError(f"einstein sum subscripts string included output subscript '{char}' which never appeared in an input")
    return labels, output


def _sublist_subscripts(args) -> tuple[str, list]:
    """The interleaved form `einsum(a, [0, 1], b, [1, 2], [0, 2])` as a subscripts string and operands."""
    def term(sublist):
        return "".join("..." if s is Ellipsis else string.ascii_letters[operator.index(s)] for s in sublist)

    pairs = len(args) // 2
    operands, terms = list(args[0: 2 * pairs: 2]), [term(s) for s in args[1: 2 * pairs: 2]]
    output = "->" + term(args[-1]) if len(args) % 2 == 1 else ""
    return ",".join(terms) + output, operands


def _label_sizes(operands, labels) -> dict[str, int]:
    """Each label's size; a size-1 axis broadcasts against the others, as NumPy's einsum allows."""
    sizes: dict[str, int] = {}
    for x, term in zip(operands, labels):
        for char, n in zip(term, x.shape):
            known = sizes.setdefault(char, n)
            if n != known and 1 not in (n, known):
                raise errors.TracedShapeError(
                    f"einsum: subscript '{char if ord(char) < _ELLIPSIS_BASE else '...'}' has size {known} in one "
                    f"operand and {n} in another (shapes {[tuple(o.shape) for o in operands]})",
                    fix="the axes an einsum subscript names must have one size (or size 1, which broadcasts)")
            sizes[char] = known if n == 1 else n
    return sizes


def _take_repeated_diagonals(x: TracedArray, term: str) -> tuple[TracedArray, str]:
    """'ii' in one operand means its diagonal: repeated labels collapse to one axis, moved last."""
    while len(set(term)) < len(term):
        char = next(c for c in term if term.count(c) > 1)
        first = term.index(char)
        second = term.index(char, first + 1)
        if x.shape[first] != x.shape[second]:
            raise errors.TracedShapeError(
                f"einsum: dimensions in operand for collapsing index '{char}' don't match ({x.shape[first]} != {x.shape[second]})")
        x = take_diagonal(x, 0, first, second)
        term = "".join(c for i, c in enumerate(term) if i not in (first, second)) + char
    return x, term


def _sum_unneeded(x: TracedArray, term: str, needed: set) -> tuple[TracedArray, str]:
    """Sum away the labels no later step or the output uses (fewer flops in the contraction)."""
    axes = [d for d, c in enumerate(term) if c not in needed]
    return sum_axes(x, axes), "".join(c for c in term if c in needed)


def _broadcast_labels(x: TracedArray, term: str, sizes: dict, shared) -> TracedArray:
    """Stretch size-1 axes whose label the other operand has longer (dot_general pairs sizes exactly)."""
    shape = tuple(sizes[c] if c in shared else n for c, n in zip(term, x.shape))
    return P.broadcast_to(x, shape)


def _contract_pair(x, x_term, y, y_term, needed: set, sizes: dict) -> tuple[TracedArray, str]:
    shared = [c for c in x_term if c in y_term]
    x, y = _broadcast_labels(x, x_term, sizes, shared), _broadcast_labels(y, y_term, sizes, shared)
    batch = [c for c in shared if c in needed]
    summed = [c for c in shared if c not in needed]
    dims = lambda term, chars: tuple(term.index(c) for c in chars)  # noqa: E731
    result = contract(x, y, batch=(dims(x_term, batch), dims(y_term, batch)),
                      contract=(dims(x_term, summed), dims(y_term, summed)))
    free = lambda term: "".join(c for c in term if c not in shared)  # noqa: E731
    return result, "".join(batch) + free(x_term) + free(y_term)


def einsum_traced(operands: list[TracedArray], labels: list[str], output: str) -> TracedArray:
    """Contract the operands pairwise, left to right, then order the axes as `output` says."""
    sizes = _label_sizes(operands, labels)
    terms = [_take_repeated_diagonals(x, term) for x, term in zip(operands, labels)]
    x, x_term = terms[0]
    for position, (y, y_term) in enumerate(terms[1:], start=1):
        later = set(output).union(*(t for _, t in terms[position + 1:]))
        x, x_term = _sum_unneeded(x, x_term, later | set(y_term))
        y, y_term = _sum_unneeded(y, y_term, later | set(x_term))
        x, x_term = _contract_pair(x, x_term, y, y_term, later, sizes)
    x, x_term = _sum_unneeded(x, x_term, set(output))
    x = P.transpose(x, [x_term.index(c) for c in output])
    return P.broadcast_to(x, tuple(sizes[c] for c in output))


def _einsum_dtype(arrays, dtype, casting: str) -> np.dtype:
    if dtype is None:
        return np.result_type(*(_dtype_of(a) for a in arrays))
    dtype = np.dtype(dtype)
    for a in arrays:
        if not np.can_cast(_dtype_of(a), dtype, casting=casting):
            raise errors.TracedTypeError(
                f"Cannot cast array data from {_dtype_of(a)!r} to {dtype!r} according to the rule {casting!r}",
                fix="pass casting='unsafe' (or 'same_kind') to allow it, or cast the operand first")
    return dtype


@implements(np.einsum)
def np_einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """`optimize=` is accepted and ignored: operands are contracted pairwise, left to right."""
    _refuse_out("einsum", out)
    if not operands:
        raise errors.TracedTypeError("einsum: no subscripts given", fix="call np.einsum('ij,jk->ik', a, b)")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], list(operands[1:])
    else:
        subscripts, arrays = _sublist_subscripts(operands)
    if not arrays:
        raise errors.TracedShapeError("einsum: at least one operand is required")
    lifted = _lift_all(*arrays, dtype=_einsum_dtype(arrays, dtype, casting))
    labels, output = _parse_subscripts(subscripts, [x.ndim for x in lifted])
    return einsum_traced(lifted, labels, output)


# -- tensordot, dot products, outer, kron ------------------------------------------------------------

def _tensordot_axes(axes, a_ndim: int, b_ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    try:
        count = operator.index(axes)
    except TypeError:
        axes_a, axes_b = axes
        axes_a = (axes_a,) if np.ndim(axes_a) == 0 else tuple(axes_a)
        axes_b = (axes_b,) if np.ndim(axes_b) == 0 else tuple(axes_b)
        if len(axes_a) != len(axes_b):
            raise errors.TracedShapeError("shape-mismatch for sum", fix="give as many axes of a as of b")
        return (tuple(P.normalize_axis(d, a_ndim) for d in axes_a), tuple(P.normalize_axis(d, b_ndim) for d in axes_b))
    # NumPy reads a.shape[-count:] and b.shape[:count] by index: more axes than an operand has are its IndexError
    # (fuzz seed 2525, program 5618), and a negative count names no axes at all (an outer product).
    if count > min(a_ndim, b_ndim):
        raise errors.TracedAxisError(f"tensordot: axes={count} needs both operands to have at least {count} dimensions",
                                     fix="pass a smaller axes, or a pair of axis lists")
    count = max(count, 0)
    return tuple(range(a_ndim - count, a_ndim)), tuple(range(count))


@implements(np.tensordot)
def np_tensordot(a, b, axes=2):
    x, y = _lift_all(a, b)
    axes_a, axes_b = _tensordot_axes(axes, x.ndim, y.ndim)
    for da, db in zip(axes_a, axes_b):
        if x.shape[da] != y.shape[db]:
            raise errors.TracedShapeError(
                f"shape-mismatch for sum: axis {da} of {x.shape} has size {x.shape[da]}, axis {db} of {y.shape} has {y.shape[db]}")
    return contract(x, y, contract=(axes_a, axes_b))


@implements(np.linalg.tensordot)
def linalg_tensordot(x1, x2, /, *, axes=2):
    return np_tensordot(x1, x2, axes)


@implements(np.vdot)
def np_vdot(a, b):
    x, y = _lift_all(a, b)
    if x.size != y.size:
        raise errors.TracedShapeError(f"vdot: vectors have different lengths ({x.size} and {y.size})")
    return contract(P.reshape(x, (x.size,)), P.reshape(y, (y.size,)), contract=((0,), (0,)))


@implements(np.inner)
def np_inner(a, b):
    x, y = _lift_all(a, b)
    if x.ndim == 0 or y.ndim == 0:
        return np.multiply(x, y)
    if x.shape[-1] != y.shape[-1]:
        raise errors.TracedShapeError(f"inner: shapes {x.shape} and {y.shape} not aligned: {x.shape[-1]} (dim {x.ndim - 1}) != {y.shape[-1]} (dim {y.ndim - 1})")
    return contract(x, y, contract=((x.ndim - 1,), (y.ndim - 1,)))


def _vector_dot(x: TracedArray, y: TracedArray, axis: int) -> TracedArray:
    """Sum of x * y over `axis` (negative, counted in each operand), the other axes broadcast."""
    if x.ndim == 0 or y.ndim == 0:
        raise errors.TracedShapeError("vecdot: both operands need at least one dimension")
    x, y = move_axis_to_end(x, axis), move_axis_to_end(y, axis)
    if x.shape[-1] != y.shape[-1]:
        raise errors.TracedShapeError(f"vecdot: the reduced axis has size {x.shape[-1]} in one operand and {y.shape[-1]} in the other")
    batch = P.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    x, y = P.broadcast_to(x, batch + x.shape[-1:]), P.broadcast_to(y, batch + y.shape[-1:])
    dims = tuple(range(len(batch)))
    result = contract(x, y, batch=(dims, dims), contract=((len(batch),), (len(batch),)))
    if result.dtype.kind != "f":
        return result
    # NumPy's loop starts its sum at +0.0, so -0.0 * 0.5 gives +0.0; XLA's dot of one term keeps -0.0.
    # (A select, not `+ 0.0`: XLA's simplifier drops an added zero.)
    return np.where(result == 0, P.scalar_like(result, 0), result)


@ufunc_rule(np.vecdot)
def vecdot(x: TracedArray, y: TracedArray) -> TracedArray:
    """The gufunc `(n),(n)->()`: operands arrive in the loop's dtype, not broadcast."""
    return _vector_dot(x, y, -1)


@implements(np.linalg.vecdot)
def linalg_vecdot(x1, x2, /, *, axis=-1):
    # NumPy's linalg.vecdot is the np.vecdot gufunc: its loop's dtype, not the operands' result type (for
    # bfloat16, ml_dtypes gives vecdot a float32 loop).
    loop = ufunc_loop_dtypes(np.vecdot, (x1, x2))
    return P.convert(_vector_dot(P.lift(x1, loop[0]), P.lift(x2, loop[1]), axis), loop[2])


@implements(np.outer)
def np_outer(a, b, out=None):
    _refuse_out("outer", out)
    x, y = P.lift(a), P.lift(b)
    return np.multiply(P.reshape(x, (x.size, 1)), P.reshape(y, (1, y.size)))


@implements(np.linalg.outer)
def linalg_outer(x1, x2, /):
    x, y = P.lift(x1), P.lift(x2)
    if x.ndim != 1 or y.ndim != 1:
        raise errors.TracedShapeError(f"Input arrays must be one-dimensional, but they are {x.ndim}-d and {y.ndim}-d",
                                      fix="use np.outer to flatten, or np.multiply.outer")
    return np_outer(x, y)


@implements(np.kron)
def np_kron(a, b):
    """Each element of a scales a block of b's shape: a and b interleave as (a0, b0, a1, b1, ...)."""
    x, y = P.lift(a), P.lift(b)
    ndim = max(x.ndim, y.ndim)
    a_shape, b_shape = (1,) * (ndim - x.ndim) + x.shape, (1,) * (ndim - y.ndim) + y.shape
    x = P.reshape(x, [n for m in a_shape for n in (m, 1)])
    y = P.reshape(y, [n for m in b_shape for n in (1, m)])
    return P.reshape(np.multiply(x, y), [m * n for m, n in zip(a_shape, b_shape)])


@implements(np.matrix_transpose, np.linalg.matrix_transpose)
def matrix_transpose(x, /):
    x = P.lift(x)
    if x.ndim < 2:
        raise errors.TracedShapeError(f"Input array must be at least 2-dimensional, but it is {x.ndim}")
    return P.transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


@implements(np.linalg.matmul)
def linalg_matmul(x1, x2, /):
    return np.matmul(P.lift(x1), P.lift(x2))


@implements(np.linalg.multi_dot)
def linalg_multi_dot(arrays, *, out=None):
    """Left to right (NumPy picks the cheapest order; the result is the same up to rounding)."""
    _refuse_out("linalg.multi_dot", out)
    if len(arrays) < 2:
        raise errors.TracedShapeError("Expecting at least two arrays.")
    xs = [P.lift(a) for a in arrays]
    if len(xs) == 2:  # (NumPy's multi_dot of two is np.dot, which checks no dims: multi_dot(np.array([a, b])) is a * b)
        return np.dot(xs[0], xs[1])
    for position, x in enumerate(xs):
        allowed = (1, 2) if position in (0, len(xs) - 1) else (2,)
        if x.ndim not in allowed:
            raise errors.TracedShapeError(f"{x.ndim}-dimensional array given. Array must be two-dimensional",
                                          fix="only the first and last arrays of multi_dot may be 1-d")
    result = xs[0]
    for x in xs[1:]:
        result = np.dot(result, x)
    return result


# -- cross ----------------------------------------------------------------------------------------

def _times(p, q):
    return None if p is None or q is None else np.multiply(p, q)


def _minus(p, q):
    """p - q where a missing term (a 2-vector's z component) is left out, not multiplied by 0."""
    if q is None:
        return p
    return np.negative(q) if p is None else np.subtract(p, q)


def _components(x: TracedArray, axis: int, which: str) -> list:
    x = move_axis_to_end(x, axis)
    if x.shape[-1] not in (2, 3):
        raise errors.TracedShapeError("incompatible dimensions for cross product\n(dimension must be 2 or 3)",
                                      fix=f"axis{which} must have length 2 or 3")
    parts = [P.reshape(_slice_last(x, i, i + 1), x.shape[:-1]) for i in range(x.shape[-1])]
    return parts + [None] * (3 - len(parts))


@implements(np.cross)
def np_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Pairs of 2-vectors give the z component alone (deprecated in NumPy 2.0, still computed)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = P.lift(a), P.lift(b)
    if x.ndim == 0 or y.ndim == 0:
        raise errors.TracedShapeError("cross: both operands need at least one dimension")
    (a0, a1, a2), (b0, b1, b2) = _components(x, axisa, "a"), _components(y, axisb, "b")
    z = _minus(_times(a0, b1), _times(a1, b0))
    if a2 is None and b2 is None:
        return z
    xy = [_minus(_times(a1, b2), _times(a2, b1)), _minus(_times(a2, b0), _times(a0, b2))]
    shape = z.shape
    result = _stack_last([P.broadcast_to(c, shape) for c in xy + [z]])
    axisc = P.normalize_axis(axisc, result.ndim)
    return P.transpose(result, list(range(axisc)) + [result.ndim - 1] + list(range(axisc, result.ndim - 1)))


@implements(np.linalg.cross)
def linalg_cross(x1, x2, /, *, axis=-1):
    x, y = P.lift(x1), P.lift(x2)
    if x.ndim == 0 or y.ndim == 0:  # (NumPy reads the 0-d operand's shape[axis]: an IndexError)
        raise errors.TracedIndexError("tuple index out of range", fix="np.linalg.cross takes (arrays of) 3-vectors")
    for v in (x, y):
        if v.shape[axis] != 3:
            raise errors.TracedShapeError(
                f"Both input arrays must be (arrays of) 3-dimensional vectors, but they are {x.shape[axis] if x.ndim else 0} "
                f"and {y.shape[axis] if y.ndim else 0} dimensional instead.")
    return np_cross(x, y, axis=axis)


# -- convolve / correlate ----------------------------------------------------------------------------

def _mode_padding(mode, short: int) -> tuple[int, int]:
    """Zeros put on each side of the longer signal, as NumPy's correlate does for each mode."""
    padding = {"valid": (0, 0), "same": (short // 2, short - short // 2 - 1), "full": (short - 1, short - 1)}
    if mode not in padding:
        raise errors.TracedShapeError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return padding[mode]


def _windows(p: TracedArray, width: int, count: int) -> TracedArray:
    """W[j, k] = p[k + j] for j < width, k < count (needs count + width - 1 <= len(p)).

    p repeated width + 1 times and re-read in rows of len(p) + 1 shifts each row by one: a
    sliding window built from broadcast, reshape and slice only.
    """
    length = p.shape[0]
    tiled = P.broadcast_to(P.reshape(p, (1, length)), (width + 1, length))
    flat = _slice_last(P.reshape(tiled, ((width + 1) * length,)), 0, width * (length + 1))
    return _slice_last(P.reshape(flat, (width, length + 1)), 0, count)


def _correlate(a, v, mode) -> TracedArray:
    """c[k] = sum_j a[k + j] * v[j] over the lags `mode` keeps; the longer signal slides under the shorter."""
    x, w = _lift_all(a, v)
    if x.ndim != 1 or w.ndim != 1:
        raise errors.TracedShapeError("object too deep for desired array", fix="convolve and correlate take 1-d arrays")
    for name, array in (("a", x), ("v", w)):
        if array.size == 0:
            raise errors.TracedShapeError(f"{name} cannot be empty")
    swapped = x.shape[0] < w.shape[0]
    if swapped:  # NumPy correlates v against a and reverses: the same lags, mirrored
        x, w = w, x
    low, high = _mode_padding(mode, w.shape[0])
    zero = ops.constant(np.zeros((), x.dtype))
    padded = P.wrap(ops.pad(x._value, zero, [low], [high], [0]), (x.shape[0] + low + high,), x.dtype)
    count = padded.shape[0] - w.shape[0] + 1
    result = contract(_windows(padded, w.shape[0], count), w, contract=((0,), (0,)))
    return P.wrap(ops.reverse(result._value, [0]), result.shape, result.dtype) if swapped else result


@implements(np.correlate)
def np_correlate(a, v, mode="valid"):
    return _correlate(a, v, mode)


@implements(np.convolve)
def np_convolve(a, v, mode="full"):
    """Convolution is correlation with the shorter signal reversed."""
    x, w = (P.reshape(t, (1,)) if t.ndim == 0 else t for t in _lift_all(a, v))  # (NumPy's convolve takes ndmin=1)
    if x.ndim == 1 and w.ndim == 1 and x.shape[0] < w.shape[0]:
        x, w = w, x
    if w.ndim == 1:
        w = P.wrap(ops.reverse(w._value, [0]), w.shape, w.dtype)
    return _correlate(x, w, mode)
