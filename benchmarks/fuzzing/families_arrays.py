"""Whole-array statements: reductions, shape ops, indexing (reads and writes), contractions, sorting,
and a catch-all that calls any other supported function on one or two values.

Parameters (axes, shifts, slices, shapes) are drawn loosely on purpose; NumPy rejects the ones that
do not fit, and a rejected statement may end an error program (where the tracer must raise too).
"""

from __future__ import annotations

import math
import re

import numpy as np

import tracer
from benchmarks.fuzzing import values as V
from benchmarks.fuzzing.families_elementwise import UFUNCS, broadcasts, operand
from benchmarks.fuzzing.generate import Call, Scope, broadcast_partner, random_dtype
from benchmarks.fuzzing.program import Op

# name -> keywords it takes besides axis: k keepdims, d dtype, D ddof, q a quantile, n an order, A no axis.
REDUCTIONS = {
    "sum": "kd", "prod": "kd", "mean": "kd", "max": "k", "min": "k", "amax": "k", "amin": "k", "all": "k",
    "any": "k", "std": "kdD", "var": "kdD", "ptp": "k", "argmax": "k", "argmin": "k", "count_nonzero": "k",
    "nansum": "kd", "nanprod": "kd", "nanmean": "kd", "nanmax": "k", "nanmin": "k", "nanstd": "kdD",
    "nanvar": "kdD", "nanargmax": "k", "nanargmin": "k", "median": "k", "nanmedian": "k", "average": "k",
    "cumsum": "d", "cumprod": "d", "nancumsum": "d", "nancumprod": "d", "percentile": "kq", "quantile": "kq",
    "nanpercentile": "kq", "nanquantile": "kq", "diff": "n", "ediff1d": "A", "trapezoid": "",
}
METHOD_REDUCTIONS = ("sum", "prod", "mean", "max", "min", "any", "all")
REDUCING_UFUNCS = (np.add, np.multiply, np.maximum, np.minimum, np.logical_and, np.logical_or, np.bitwise_and,
                   np.bitwise_or, np.bitwise_xor, np.fmax, np.fmin)


def axis_value(s: Scope, ndim: int, allow_tuple: bool = True) -> str:
    rng = s.rng
    roll = rng.random()
    if roll < 0.25 or ndim == 0:
        return "None"
    if roll < 0.8 or not allow_tuple:
        return str(int(rng.integers(-ndim, ndim)))
    axes = sorted(set(int(a) for a in rng.integers(-ndim, ndim, int(rng.integers(1, ndim + 1)))))
    return repr(tuple(axes))


def reduction(s: Scope) -> object:
    rng = s.rng
    c = Call()
    first = s.pick_or_new()
    x, ndim = c.ref(first), len(s.shape(first))
    if rng.random() < 0.12:
        ufunc = REDUCING_UFUNCS[int(rng.integers(len(REDUCING_UFUNCS)))]
        expr = f"np.{ufunc.__name__}.reduce({x}, axis={axis_value(s, ndim)})"
        return c.op(s.b.fresh("v"), expr, f"np.{ufunc.__name__}.reduce", dtype=str(s.dtype(first)))
    name = list(REDUCTIONS)[int(rng.integers(len(REDUCTIONS)))]
    flags = REDUCTIONS[name]
    args = [x]
    if "q" in flags:
        top = 100 if "percentile" in name else 1
        q = [0, top, top / 2, top / 3][int(rng.integers(4))] if rng.random() < 0.7 else list(np.round(rng.random(2) * top, 2))
        args.append(repr(q))
    if "A" not in flags and rng.random() < 0.8:
        args.append(f"axis={axis_value(s, ndim)}")
    if "k" in flags and rng.random() < 0.3:
        args.append("keepdims=True")
    if "d" in flags and rng.random() < 0.2:
        args.append(f"dtype={V.dtype_source(random_dtype(rng))}")
    if "D" in flags and rng.random() < 0.3:
        args.append(f"ddof={int(rng.integers(0, 3))}")
    if "n" in flags and rng.random() < 0.4:
        args.append(f"n={int(rng.integers(0, 3))}")
    if name == "average" and rng.random() < 0.4:
        args.append(f"weights={operand(s, c, s.shape(first), s.dtype(first))}")
    if name in METHOD_REDUCTIONS and rng.random() < 0.3:
        expr = f"{x}.{name}({', '.join(args[1:])})"
    else:
        expr = f"np.{name}({', '.join(args)})"
    count = math.prod(s.shape(first))
    return c.op(s.b.fresh("v"), expr, f"np.{name}", dtype=str(s.dtype(first)), count=count)


def _factor_shape(rng, size: int) -> tuple[int, ...]:
    """A random shape with `size` elements (for reshape)."""
    if size == 0:
        return tuple(int(d) for d in rng.choice([0, 1, 2, 3], int(rng.integers(1, 4)))) if rng.random() < 0.5 else (0,)
    dims, rest = [], size
    for p in (2, 3, 5, 7):
        while rest % p == 0 and rng.random() < 0.6:
            dims.append(p)
            rest //= p
    dims.append(rest)
    rng.shuffle(dims)
    if rng.random() < 0.3:
        dims.insert(int(rng.integers(len(dims) + 1)), 1)
    return tuple(dims)


def shape_op(s: Scope) -> object:
    rng = s.rng
    c = Call()
    first = s.pick_or_new()
    shape, dtype = s.shape(first), s.dtype(first)
    x, ndim = c.ref(first), len(shape)
    ax = lambda: int(rng.integers(-ndim - 1, ndim + 1)) if ndim else 0  # noqa: E731  (sometimes out of range)
    choice = int(rng.integers(24))
    if choice == 0:
        target = list(_factor_shape(rng, math.prod(shape)))
        if target and rng.random() < 0.3:
            target[int(rng.integers(len(target)))] = -1
        expr = f"np.reshape({x}, {tuple(target)!r})" if rng.random() < 0.5 else f"{x}.reshape({tuple(target)!r})"
    elif choice == 1:
        expr = f"np.transpose({x}, {tuple(int(a) for a in rng.permutation(ndim))!r})" if rng.random() < 0.7 else f"{x}.T"
    elif choice == 2:
        expr = f"np.swapaxes({x}, {ax()}, {ax()})"
    elif choice == 3:
        expr = f"np.moveaxis({x}, {ax()}, {ax()})"
    elif choice == 4:
        expr = f"np.expand_dims({x}, {ax()})"
    elif choice == 5:
        ones = [i for i, d in enumerate(shape) if d == 1]
        expr = f"np.squeeze({x}, axis={ones[0]})" if ones and rng.random() < 0.5 else f"np.squeeze({x})"
    elif choice == 6:
        expr = [f"np.flip({x})", f"np.flip({x}, {ax()})", f"np.fliplr({x})", f"np.flipud({x})"][int(rng.integers(4))]
    elif choice == 7:
        shift = int(rng.choice([-7, -1, 0, 1, 2, 5, 2**31 + 1]))
        expr = f"np.roll({x}, {shift})" if rng.random() < 0.4 else f"np.roll({x}, {shift}, axis={ax()})"
    elif choice == 8:
        reps = tuple(int(r) for r in rng.integers(0, 3, int(rng.integers(1, 3))))
        expr = f"np.tile({x}, {reps!r})"
    elif choice == 9:
        expr = f"np.repeat({x}, {int(rng.integers(0, 3))}, axis={axis_value(s, ndim, False)})"
    elif choice == 10:
        target = broadcast_target(rng, shape)
        expr = f"np.broadcast_to({x}, {target!r})"
    elif choice == 11:
        expr = [f"np.ravel({x})", f"{x}.ravel()", f"{x}.flatten()", f"np.atleast_1d({x})", f"np.atleast_2d({x})",
                f"np.atleast_3d({x})"][int(rng.integers(6))]
    elif choice == 12:
        expr = f"np.rot90({x}, {int(rng.integers(-2, 4))})"
    elif choice == 13:
        expr = f"np.{['tril', 'triu'][int(rng.integers(2))]}({x}, {int(rng.integers(-2, 3))})"
    elif choice == 14:
        expr = [f"np.diagonal({x}, {int(rng.integers(-2, 3))})", f"np.diag({x})", f"np.trace({x})",
                f"np.diagflat({x})"][int(rng.integers(4))]
    elif choice in (15, 16):
        other = s.pick(lambda v: np.ndim(v) == ndim) if rng.random() < 0.5 else None
        other = c.ref(other) if other else c.ref(s.new_arg(shape, dtype if rng.random() < 0.7 else None))
        func = ["concatenate", "stack", "hstack", "vstack", "dstack", "column_stack"][int(rng.integers(6))]
        expr = f"np.{func}([{x}, {other}]" + (f", axis={ax()})" if func in ("concatenate", "stack") and rng.random() < 0.7 else ")")
    elif choice == 17:
        expr = f"np.append({x}, {operand(s, c, shape, dtype)}" + (f", axis={ax()})" if rng.random() < 0.5 else ")")
    elif choice == 18:
        func = ["split", "array_split", "hsplit", "vsplit", "dsplit"][int(rng.integers(5))]
        pieces = int(rng.integers(1, 4)) if rng.random() < 0.7 else [int(i) for i in sorted(rng.integers(0, 4, 2))]
        expr = f"np.{func}({x}, {pieces!r})[{int(rng.integers(-1, 2))}]"
    elif choice == 19:
        widths = int(rng.integers(0, 3)) if rng.random() < 0.5 else [[int(a), int(b)] for a, b in rng.integers(0, 3, (ndim, 2))]
        mode = ["constant", "constant", "edge", "reflect", "symmetric", "wrap"][int(rng.integers(6))]
        extra = f", constant_values={operand(s, c, (), dtype)}" if mode == "constant" and rng.random() < 0.5 else ""
        expr = f"np.pad({x}, {widths!r}, mode={mode!r}{extra})"
    elif choice == 20:
        expr = f"np.resize({x}, {_factor_shape(rng, int(rng.integers(0, 13)))!r})"
    elif choice == 21:
        expr = f"np.delete({x}, {int(rng.integers(-3, 3))}" + (f", axis={ax()})" if rng.random() < 0.6 else ")")
    elif choice == 22:
        expr = f"np.insert({x}, {int(rng.integers(-3, 3))}, {operand(s, c, (), dtype)}" + (f", axis={ax()})" if rng.random() < 0.6 else ")")
    else:
        expr = [f"np.copy({x})", f"np.matrix_transpose({x})", f"np.rollaxis({x}, {ax()})"][int(rng.integers(3))]
    return c.op(s.b.fresh("v"), expr, _called(expr))


def _called(expr: str) -> str:
    """`np.reshape` for `np.reshape(x, ...)` and for the method form `x.reshape(...)`; `np.transpose` for `x.T`."""
    if expr.startswith("np."):
        return expr.split("(")[0]
    method = re.search(r"\.(\w+)\(", expr)
    return {"flatten": "np.ravel"}.get(method.group(1), f"np.{method.group(1)}") if method else "np.transpose"


def broadcast_target(rng, shape: tuple[int, ...]) -> tuple[int, ...]:
    out = [d if d != 1 or rng.random() < 0.5 else int(rng.integers(0, 4)) for d in shape]
    if rng.random() < 0.4:
        out = [int(rng.integers(1, 4))] + out
    return tuple(out)


def basic_index(s: Scope, shape: tuple[int, ...]) -> str:
    """A random basic index: ints (sometimes out of range), slices with any step, None, Ellipsis."""
    rng = s.rng
    parts = []
    for dim in shape[: int(rng.integers(0, len(shape) + 1))]:
        roll = rng.random()
        if roll < 0.3:
            parts.append(str(int(rng.integers(-dim - 1, dim + 1)) if dim else 0))
        elif roll < 0.85:
            pick = lambda: "" if rng.random() < 0.3 else str(int(rng.integers(-dim - 2, dim + 3)))  # noqa: E731
            step = "" if rng.random() < 0.5 else ":" + str(int(rng.choice([-3, -2, -1, 1, 2, 3])))
            parts.append(f"{pick()}:{pick()}{step}")
        elif roll < 0.93:
            parts.append("None")
        else:
            parts.append("...")
    if not parts:
        parts = ["..."] if rng.random() < 0.5 else [":"]
    return ", ".join(parts)


def index_array(s: Scope, c: Call, dim: int, traced: bool) -> str:
    """Positions into an axis of length `dim`: a NumPy array in the text, or an argument (traced) in range."""
    rng = s.rng
    count = int(rng.integers(0, 4))
    if not traced:
        hi = dim + (1 if rng.random() < 0.1 else 0)  # now and then out of range: both must raise IndexError
        positions = rng.integers(-hi, max(hi, 1), count) if dim or hi else np.zeros(0, int)
        if rng.random() < 0.3:
            return str([int(p) for p in positions])
        return c.ref(s.new_const(value=positions.astype(rng.choice([np.int32, np.int64, np.uint8]) if (positions >= 0).all() else np.int64)))
    # Traced positions are not checked (a documented difference): draw them in range.
    c.info["traced_index"] = True
    positions = rng.integers(-dim, dim, count) if dim else np.zeros(0, int)
    return c.ref(s.new_arg(value=positions.astype(np.int32 if rng.random() < 0.6 else np.int64)))


def index_read(s: Scope) -> object:
    rng = s.rng
    c = Call()
    first = s.pick_or_new(lambda v: v.ndim > 0)
    shape = s.shape(first)
    x = c.ref(first)
    roll = rng.random()
    if roll < 0.45 or not shape:
        expr = f"{x}[{basic_index(s, shape)}]"
    elif roll < 0.7:
        expr = f"{x}[{index_array(s, c, shape[0], traced=rng.random() < 0.5)}]"
        if len(shape) > 1 and rng.random() < 0.4:
            expr = f"{x}[{index_array(s, c, shape[0], traced=False)}, {index_array(s, c, shape[1], traced=rng.random() < 0.5)}]"
    elif roll < 0.8:
        mask = s.new_const(value=rng.random(shape[: int(rng.integers(1, len(shape) + 1))]) < 0.5)
        expr = f"{x}[{c.ref(mask)}]"
    else:
        axis = int(rng.integers(len(shape)))
        func = ["take", "take_along_axis", "compress"][int(rng.integers(3))]
        if func == "take":
            expr = f"np.take({x}, {index_array(s, c, shape[axis], traced=rng.random() < 0.6)}, axis={axis})"
        elif func == "take_along_axis":
            idx_shape = tuple(d if i != axis else int(rng.integers(0, 4)) for i, d in enumerate(shape))
            positions = rng.integers(-shape[axis], shape[axis], idx_shape) if shape[axis] else np.zeros(idx_shape, int)
            traced = rng.random() < 0.6
            c.info["traced_index"] = c.info.get("traced_index", False) or traced
            idx = s.new_arg(value=positions.astype(np.int64)) if traced else s.new_const(value=positions)
            expr = f"np.take_along_axis({x}, {c.ref(idx)}, axis={axis})"
        else:
            cond = s.new_const(value=rng.random(shape[axis]) < 0.5)
            expr = f"np.compress({c.ref(cond)}, {x}, axis={axis})"
    return c.op(s.b.fresh("v"), expr, "index", shape=shape)


def index_write(s: Scope) -> object:
    """A write into a fresh copy: `y = np.copy(x); y[idx] = v` (or `+=`, `np.add.at`, a write through a view)."""
    rng = s.rng
    c = Call()
    first = s.pick_or_new(lambda v: v.ndim > 0)
    shape, dtype = s.shape(first), s.dtype(first)
    out = s.b.fresh("v")
    lines = [f"{{out}} = np.copy({c.ref(first)})"]
    roll = rng.random()
    if roll < 0.4:
        idx = basic_index(s, shape)
    elif roll < 0.75:
        idx = index_array(s, c, shape[0], traced=rng.random() < 0.5)
    else:
        mask = s.new_const(value=rng.random(shape) < 0.5)
        idx = c.ref(mask)
    value = operand(s, c, (), dtype) if rng.random() < 0.5 else c.ref(s.new_arg(
        broadcast_partner(rng, shape[1:] if roll >= 0.4 and roll < 0.75 else ()), dtype if rng.random() < 0.8 else None))
    kind = rng.random()
    if kind < 0.45:
        lines.append(f"{{out}}[{idx}] = {value}")
    elif kind < 0.7:
        # (no //= or %=: the divisor could be a constant zero, issue 16 #1)
        op = ["+=", "-=", "*=", "/=" if dtype.kind == "f" else "|=", "**=" if dtype.kind == "f" else "^="][int(rng.integers(5))]
        lines.append(f"{{out}}[{idx}] {op} {value}")
    elif kind < 0.85 and 0.4 <= roll < 0.75:  # (np.<ufunc>.at takes an index array, not slice syntax)
        ufunc = ["add", "subtract", "maximum", "minimum", "multiply"][int(rng.integers(5))]
        lines.append(f"np.{ufunc}.at({{out}}, {idx}, {value})")
    else:
        view = f"{out}_view"
        lines.append(f"{view} = {{out}}[{basic_index(s, shape)}]")
        lines.append(f"{view}[...] = {value}" if rng.random() < 0.5 else f"{view} += {value}")
    return Op(out, "\n".join(lines), tuple(c.uses), "index-write", info={**c.info, "shape": shape})


def contraction(s: Scope) -> object:
    """matmul / dot / tensordot / einsum / inner / outer / vdot / kron on operands shaped to fit."""
    rng = s.rng
    c = Call()
    first = s.pick_or_new(lambda v: 1 <= v.ndim <= 3)
    shape, dtype = s.shape(first), s.dtype(first)
    x = c.ref(first)
    other_dtype = dtype if rng.random() < 0.7 else random_dtype(rng)
    k = shape[-1] if shape else 1
    new = lambda shp: c.ref(s.pick(lambda v: np.shape(v) == tuple(shp)) or s.new_arg(tuple(shp), other_dtype))  # noqa: E731
    choice = int(rng.integers(10))
    m = int(rng.integers(0, 4))
    call = ["np.matmul", "np.matmul", "np.dot", "np.tensordot", "np.einsum", "np.inner", "np.outer", "np.vdot",
            "np.kron", "np.linalg.vecdot"][choice]
    if choice <= 2:
        y = new((k, m) if rng.random() < 0.7 else (k,))
        expr = [f"({x} @ {y})", f"np.matmul({x}, {y})", f"np.dot({x}, {y})"][choice]
    elif choice == 3:
        y = new(shape[-2:] + (m,)) if len(shape) >= 2 else new((k, m))
        expr = f"np.tensordot({x}, {y}, {min(2, len(shape))})"
    elif choice == 4:
        y = new((k, m))
        spec = {1: "i,ij->j", 2: "ai,ij->aj", 3: "bai,ij->baj"}[len(shape)]
        if rng.random() < 0.3:
            spec = {1: "i->", 2: "ij->ji", 3: "abc->cb"}[len(shape)]
            expr = f"np.einsum({spec!r}, {x})"
        else:
            expr = f"np.einsum({spec!r}, {x}, {y})"
    elif choice == 5:
        expr = f"np.inner({x}, {new((m, k) if rng.random() < 0.5 else (k,))})"
    elif choice == 6:
        expr = f"np.outer({x}, {new((m,))})"
    elif choice == 7:
        expr = f"np.vdot({x}, {new(shape)})"
    elif choice == 8:
        expr = f"np.kron({x}, {new(tuple(int(d) for d in rng.integers(1, 3, len(shape))))})"
    else:
        expr = f"np.linalg.vecdot({x}, {new(broadcast_partner(rng, shape))})"
    return c.op(s.b.fresh("v"), expr, call, dtype=str(dtype), count=k)


def sorting(s: Scope) -> object:
    rng = s.rng
    c = Call()
    first = s.pick_or_new(lambda v: v.ndim > 0)
    x, ndim = c.ref(first), len(s.shape(first))
    choice = int(rng.integers(5))
    axis = f", axis={int(rng.integers(-ndim, ndim))}" if rng.random() < 0.5 else ""
    if choice == 0:
        expr = f"np.sort({x}{axis})"
    elif choice == 1:
        # Default kind: NumPy's quicksort may order ties otherwise (a documented difference); stable: must agree.
        expr = f"np.argsort({x}{axis}, kind='stable')" if rng.random() < 0.7 else f"np.argsort({x}{axis})"
    elif choice == 2:
        flat = s.new_arg((int(rng.integers(0, 6)),), s.dtype(first))
        side = ", side='right'" if rng.random() < 0.5 else ""
        expr = f"np.searchsorted(np.sort({c.ref(flat)}), {x}{side})"
    elif choice == 3:
        keys = c.ref(s.new_arg(s.shape(first), random_dtype(rng)))
        expr = f"np.lexsort(({x}, {keys}))"
    else:
        expr = f"np.sort({x}, axis=None)"
    return c.op(s.b.fresh("v"), expr, expr.split("(")[0])


# Supported functions the families above do not draw (and are not ufuncs): called on one or two
# values with a random keyword or two, for breadth. NumPy rejects what does not fit.
_DRAWN = set(REDUCTIONS) | {"reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "flip",
                            "fliplr", "flipud", "roll", "tile", "repeat", "broadcast_to", "ravel", "atleast_1d",
                            "atleast_2d", "atleast_3d", "rot90", "tril", "triu", "diagonal", "diag", "trace",
                            "diagflat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
                            "append", "split", "array_split", "hsplit", "vsplit", "dsplit", "pad", "resize",
                            "delete", "insert", "copy", "matrix_transpose", "rollaxis", "matmul", "dot",
                            "tensordot", "einsum", "inner", "outer", "vdot", "kron", "linalg.vecdot", "sort",
                            "argsort", "searchsorted", "lexsort", "take", "take_along_axis", "compress", "where",
                            "select", "clip", "zeros_like", "ones_like", "full_like", "nan_to_num", "isclose",
                            "allclose", "array_equal", "astype",
                            # Not values: Python ints, tuples, dtypes; and empty_like's contents are undefined.
                            "ndim", "shape", "size", "result_type", "empty_like", "copyto", "put", "broadcast_arrays",
                            "meshgrid"}
OTHER_FUNCTIONS = tuple(name[len("numpy."):] for name in tracer.numpy_coverage()
                        if not isinstance(getattr(np, name[len("numpy."):], None), np.ufunc)
                        and name[len("numpy."):] not in _DRAWN)


def other_call(s: Scope) -> object:
    rng = s.rng
    c = Call()
    name = OTHER_FUNCTIONS[int(rng.integers(len(OTHER_FUNCTIONS)))]
    first = s.pick_or_new()
    args = [c.ref(first)]
    if rng.random() < 0.35:
        args.append(operand(s, c, s.shape(first), s.dtype(first)))
    if name in ("linspace", "logspace", "geomspace"):
        args = args[:1] + [operand(s, c, s.shape(first), s.dtype(first)), str(int(rng.integers(0, 6)))]
    if name in ("around", "round") and rng.random() < 0.6:
        args.append(str(int(rng.integers(-2, 4))))
    if name.startswith("linalg.") and "norm" in name and rng.random() < 0.5:
        args.append(f"ord={[1, 2, np.inf, -np.inf, 0, 'fro', -1][int(rng.integers(7))]!r}".replace("inf", "np.inf"))
    if rng.random() < 0.2:
        args.append(f"axis={int(rng.integers(-2, 2))}")
    if name == "meshgrid":
        return None
    return c.op(s.b.fresh("v"), f"np.{name}({', '.join(args)})", f"np.{name}")


UFUNC_NAMES = tuple(u.__name__ for u in UFUNCS)
