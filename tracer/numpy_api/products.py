"""Products of arrays: matmul and dot as `stablehlo.dot_general` (`contract`), with NumPy's rank rules."""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements, ufunc_rule
from tracer.traced_array import TracedArray

__all__ = ["contract", "dot", "matmul"]


def contract(x: TracedArray, y: TracedArray, *, batch=((), ()), contract=((), ())) -> TracedArray:
    """`stablehlo.dot_general` of same-dtype operands; result dims: batch, x's free dims, y's free dims.

    bool operands are contracted as int32 and compared with 0 (XLA has no i1 dot), which is
    NumPy's bool sum of products: a logical or of ands.
    """
    dtype = x.dtype
    if dtype == np.bool_:
        x, y = P.convert(x, np.int32), P.convert(y, np.int32)
    value = ops.dot_general(x._value, y._value, batch=batch, contract=contract)
    result = P.wrap(value, ops.shape_of(value), x.dtype)
    return P.convert(result, np.bool_) if dtype == np.bool_ else result


@ufunc_rule(np.matmul)
def matmul(x: TracedArray, y: TracedArray) -> TracedArray:
    """NumPy matmul: 1-d operands gain a unit dim that is dropped again; batch dims broadcast."""
    if x.ndim == 0 or y.ndim == 0:
        raise errors.TracedShapeError("matmul: Input operand does not have enough dimensions", fix="use * for scalars")
    x2 = P.reshape(x, (1,) + x.shape) if x.ndim == 1 else x
    y2 = P.reshape(y, y.shape + (1,)) if y.ndim == 1 else y
    if x2.shape[-1] != y2.shape[-2]:
        raise errors.TracedShapeError(
            f"matmul: shapes {x.shape} and {y.shape} are not aligned: {x2.shape[-1]} (last dim of the first) "
            f"!= {y2.shape[-2]} ({'first' if y.ndim == 1 else 'second-to-last'} dim of the second)",
            fix="transpose or reshape an operand so the contracted dimensions agree",
        )
    batch_shape = P.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
    final_shape = batch_shape + (x.shape[-2:-1] if x.ndim > 1 else ()) + (y.shape[-1:] if y.ndim > 1 else ())
    if y2.ndim == 2:
        # (..., m, k) @ (k, n): x's leading dims are free dims of one dot_general, as in `x @ W` of a dense
        # layer; broadcasting W to x's batch first would copy it per batch element and batch the dot.
        return P.reshape(contract(x2, y2, contract=((x2.ndim - 1,), (0,))), final_shape)
    x2 = P.broadcast_to(x2, batch_shape + x2.shape[-2:])
    y2 = P.broadcast_to(y2, batch_shape + y2.shape[-2:])
    nb = len(batch_shape)
    batch = (tuple(range(nb)), tuple(range(nb)))
    result = contract(x2, y2, batch=batch, contract=((nb + 1,), (nb,)))
    return P.reshape(result, final_shape)  # (drops the unit dims that 1-d operands were given)


@implements(np.dot)
def dot(a, b, out=None):
    """NumPy dot: scalar product for 0-d, matmul for <=2-d, else sum over x's last and y's second-to-last axis."""
    if out is not None:
        raise errors.UnsupportedNumPyError("numpy.dot: out= is not supported under tracing")
    dtype = np.result_type(*(np.asarray(v).dtype if isinstance(v, (list, tuple)) else getattr(v, "dtype", v)
                             for v in (a, b)))
    x, y = P.lift(a, dtype), P.lift(b, dtype)
    if x.ndim == 0 or y.ndim == 0:
        return np.multiply(x, y)
    if x.ndim <= 2 and y.ndim <= 2:
        # np.dot keeps the operands' dtype, where np.matmul on bfloat16 (which ml_dtypes gives no matmul
        # loop) resolves to float32.
        return P.convert(P.lift(np.matmul(x, y)), dtype)
    y_axis = max(y.ndim - 2, 0)  # a 1-d y contracts its only axis
    if x.shape[-1] != y.shape[y_axis]:
        raise errors.TracedShapeError(f"dot: shapes {x.shape} and {y.shape} not aligned: {x.shape[-1]} != {y.shape[y_axis]}")
    return contract(x, y, contract=((x.ndim - 1,), (y_axis,)))
