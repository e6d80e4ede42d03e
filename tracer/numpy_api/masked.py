"""`x[mask]` for a traced boolean mask: the selected elements, kept where they are.

NumPy's `x[mask]` packs the selected elements into an array whose length depends on the mask's values,
which a compiled program cannot have. Most programs only compute on the selection and write it back:
`x[x > 0] *= a`, `z[m] = np.exp(-x[m])`, `a[m] = a[m] ** -1.5`, `x[m].sum()`. A `MaskedSelection` keeps x's
shape and the mask instead (the mask covers x's shape or its leading dims; the trailing dims are the
selected rows'):
- ufuncs apply to every element (what they give at unselected places is never used), with numbers and
  arrays shaped like a row (`x[m] * w` for w of the rows' shape) and with selections under the same mask;
- reductions reduce the selected elements only: NumPy's own `where=` (sum, prod, mean, max, min, any, all,
  var, std, count_nonzero); over the selection's axis 0 they give plain traced values, over a row axis a
  selection again;
- `y[mask] = selection` writes back with a `select` (`indexing._mask_set`).
Whatever needs the packed shape (`.shape`, `len`, reshaping, sorting, indexing into it, joining it, returning
it from the traced function) raises `TracedIndexError` naming the line and suggesting `np.where`.

Two masks are the same when they are the same traced value or were computed alike from the same values
(`a[a > 0] = a[a > 0] ** 2` computes `a > 0` twice): `same_mask` compares the ops that made them.
"""

from __future__ import annotations

import numpy as np

from ir import query
from tracer import errors
from tracer import primitives as P
from tracer.traced_array import TracedArray, is_traced

__all__ = ["MaskedSelection", "packed_shape_error", "same_mask"]


def packed_shape_error(what: str) -> errors.TracedIndexError:
    return errors.TracedIndexError(
        f"{what} needs the selection x[mask] packed as NumPy packs it, whose length depends on the mask's values",
        fix="keep x's shape and select instead: np.where(mask, x, fill) (reductions: np.sum(x, where=mask)); "
            "computing on x[mask], reducing it and assigning it back through the same mask (x[mask] = f(x[mask])) work")


class MaskedSelection:
    """`x[mask]` under tracing: `full` has x's shape (elements at unselected places are never used) and
    `mask` is the traced boolean mask over its leading dims."""

    __slots__ = ("full", "mask")
    __hash__ = None

    def __init__(self, full: TracedArray, mask: TracedArray):
        self.full, self.mask = full, mask

    # -- what is known of the packed array ---------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        return self.full.dtype

    @property
    def ndim(self) -> int:
        return 1 + self.full.ndim - self.mask.ndim

    @property
    def row_shape(self) -> tuple[int, ...]:
        return self.full.shape[self.mask.ndim:]

    @property
    def selected(self) -> TracedArray:
        """The mask broadcast over the rows: True where an element is selected."""
        return P.broadcast_to(P.reshape(self.mask, self.mask.shape + (1,) * len(self.row_shape)), self.full.shape)

    def __repr__(self) -> str:
        return f"MaskedSelection<{self.full!r}[{self.mask!r}]>"

    # -- NumPy's protocols ---------------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or ufunc.signature is not None:
            raise packed_shape_error(f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"))
        out = kwargs.pop("out", None)
        fulls = [self._operand(x) for x in inputs]
        results = ufunc(*fulls, **kwargs)
        results = results if isinstance(results, tuple) else (results,)
        selections = [MaskedSelection(P.lift(r), self.mask) for r in results]
        if out is not None:  # `x[m] *= a` writes into the selection: it takes the new elements
            for target, selection in zip(out, selections):
                if target is not None:
                    if type(target) is not MaskedSelection or not same_mask(target.mask, self.mask):
                        raise packed_shape_error(f"numpy.{ufunc.__name__}(..., out=...) into another array")
                    target.full = P.convert(selection.full, target.dtype)
            selections = [s if t is None else t for t, s in zip(out, selections)]
        return tuple(selections) if len(selections) > 1 else selections[0]

    def _operand(self, x):
        """An operand of an elementwise op with this selection, as an array broadcasting against `full`."""
        if type(x) is MaskedSelection:
            if not same_mask(x.mask, self.mask):
                raise packed_shape_error("combining selections made with different masks")
            return x.full
        if isinstance(x, (int, float, complex, bool, np.generic)) and not is_traced(x):
            return x  # (a Python number stays weak in NumPy's dtype rules)
        x = P.lift(x)
        while x.ndim > len(self.row_shape) and x.shape[0] == 1:
            x = P.reshape(x, x.shape[1:])
        if x.ndim > len(self.row_shape):
            raise packed_shape_error(f"an elementwise operation of x[mask] with an array of shape {x.shape}")
        return x

    def __array_function__(self, func, types, args, kwargs):
        reduction = _REDUCTIONS.get(func)
        if reduction is not None and args and args[0] is self:
            return reduction(self, *args[1:], **kwargs)
        if func in _ELEMENTWISE and args and args[0] is self:
            return MaskedSelection(P.lift(func(self.full, *(self._operand(a) for a in args[1:]), **kwargs)), self.mask)
        raise packed_shape_error(f"{getattr(func, '__module__', 'numpy')}.{func.__name__}".replace("numpy._core.fromnumeric", "numpy"))

    def __array__(self, dtype=None, copy=None):
        raise packed_shape_error("a NumPy array of x[mask]")

    # -- what needs the packed shape --------------------------------------------------------------------------
    @property
    def shape(self):
        raise packed_shape_error("x[mask].shape")

    @property
    def size(self):
        raise packed_shape_error("x[mask].size")

    def __len__(self):
        raise packed_shape_error("len(x[mask])")

    def __iter__(self):
        raise packed_shape_error("iterating over x[mask]")

    def __getitem__(self, index):
        raise packed_shape_error("indexing into x[mask]")

    def __setitem__(self, index, value):
        raise packed_shape_error("writing into x[mask][...]")

    def __bool__(self):
        raise packed_shape_error("the truth value of x[mask]")

    def reshape(self, *args, **kwargs):
        raise packed_shape_error("x[mask].reshape")

    def sort(self, *args, **kwargs):
        raise packed_shape_error("x[mask].sort")

    def __getattr__(self, name):
        # Only for names found nowhere else: the other ndarray methods and attributes (argsort, ptp, T, tolist ...)
        # would read the packed array; they raised a bare AttributeError that named no line. Still an
        # AttributeError (UnsupportedMethodError), so hasattr() stays False for code that probes.
        if not name.startswith("__") and hasattr(np.ndarray, name):
            packed = packed_shape_error(f"x[mask].{name}")
            raise errors.UnsupportedMethodError(packed.message, fix=packed.fix)
        raise AttributeError(f"'MaskedSelection' object has no attribute '{name}'")

    # -- methods: reductions, conversions ------------------------------------------------------------------------
    def sum(self, axis=None, dtype=None, keepdims=False):
        return _reduced(self, np.sum, axis, keepdims, dtype=dtype)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return _reduced(self, np.prod, axis, keepdims, dtype=dtype)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return _reduced(self, np.mean, axis, keepdims, dtype=dtype)

    def max(self, axis=None, keepdims=False):
        return _reduced(self, np.max, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _reduced(self, np.min, axis, keepdims)

    def any(self, axis=None, keepdims=False):
        return _reduced(self, np.any, axis, keepdims)

    def all(self, axis=None, keepdims=False):
        return _reduced(self, np.all, axis, keepdims)

    def var(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return _reduced(self, np.var, axis, keepdims, dtype=dtype, ddof=ddof)

    def std(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return _reduced(self, np.std, axis, keepdims, dtype=dtype, ddof=ddof)

    def astype(self, dtype, copy=True):
        return MaskedSelection(P.convert(self.full, dtype), self.mask)

    def copy(self):
        return MaskedSelection(self.full, self.mask)

    def clip(self, a_min=None, a_max=None):
        return np.clip(self, a_min, a_max)

    def round(self, decimals=0):
        return np.round(self, decimals)


def _reduced(selection: MaskedSelection, reduction, axis, keepdims, **kwargs):
    """`reduction` (np.sum ...) of the selected elements. Axis 0 of x[mask] is the mask's dims; its other
    axes are the rows' dims, and a reduction over those only gives a selection again."""
    lead, ndim = selection.mask.ndim, selection.ndim
    axes = tuple(range(ndim)) if axis is None else P.normalize_axes(axis, ndim)
    full_axes = tuple(a + lead - 1 for a in axes if a > 0)
    if 0 not in axes:
        return MaskedSelection(P.lift(reduction(selection.full, axis=full_axes, keepdims=keepdims, **kwargs)), selection.mask)
    full_axes = tuple(range(lead)) + full_axes
    if reduction.__name__ in ("max", "min"):  # (by name: while tracing, np.max is a wrapper of NumPy's)
        kwargs["initial"] = _identity(selection.dtype, largest=reduction.__name__ == "min")
    result = P.lift(reduction(selection.full, axis=full_axes, where=selection.selected, keepdims=keepdims, **kwargs))
    if keepdims:  # x[mask] keeps one dim for the mask's dims
        result = P.reshape(result, (1,) + result.shape[lead:])
    return result


def _identity(dtype, *, largest: bool):
    """The value max (largest=False) or min (largest=True) of nothing selected gives: where NumPy raises
    for an empty selection, the traced reduction gives -inf/+inf (the dtype's extreme for integers)."""
    if dtype == np.bool_:
        return largest
    if dtype.kind == "f":
        return np.inf if largest else -np.inf
    info = np.iinfo(dtype)
    return info.max if largest else info.min


def _count_nonzero(selection: MaskedSelection, axis=None, *, keepdims=False):
    return _reduced(MaskedSelection(P.convert(selection.full, np.bool_), selection.mask), np.sum, axis, keepdims,
                    dtype=np.intp)


def _method(name):
    return lambda selection, *args, **kwargs: getattr(selection, name)(*args, **kwargs)


_REDUCTIONS = {np.sum: _method("sum"), np.prod: _method("prod"), np.mean: _method("mean"), np.max: _method("max"),
               np.amax: _method("max"), np.min: _method("min"), np.amin: _method("min"), np.any: _method("any"),
               np.all: _method("all"), np.var: _method("var"), np.std: _method("std"),
               np.count_nonzero: _count_nonzero}
_ELEMENTWISE = {np.clip, np.round, np.around, np.nan_to_num, np.real, np.imag, np.astype}


def _operator(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


def _inplace(ufunc):
    return lambda self, other: ufunc(self, other, out=(self,))


for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
                      "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
                      "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
                      "lshift": np.left_shift, "rshift": np.right_shift}.items():
    _forward, _reflected = _operator(_ufunc)
    setattr(MaskedSelection, f"__{_name}__", _forward)
    setattr(MaskedSelection, f"__r{_name}__", _reflected)
    setattr(MaskedSelection, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                      "eq": np.equal, "ne": np.not_equal}.items():
    setattr(MaskedSelection, f"__{_name}__", _operator(_ufunc)[0])
for _name, _ufunc in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(MaskedSelection, f"__{_name}__", lambda self, _u=_ufunc: _u(self))
MaskedSelection.__matmul__ = MaskedSelection.__rmatmul__ = lambda self, other: np.matmul(self, other)
del _name, _ufunc, _forward, _reflected


# -- are two masks the same? ---------------------------------------------------------------------------------

def same_mask(a: TracedArray, b: TracedArray) -> bool:
    """Whether two traced masks hold the same values in every run: the same value, or made by the same ops
    from the same values (constants compared by value), up to a few ops deep."""
    return a.shape == b.shape and _same_value(a._value, b._value, depth=8)


def _same_value(a, b, depth: int) -> bool:
    if a == b:
        return True
    op_a, op_b = query.defining_op(a), query.defining_op(b)
    if depth == 0 or op_a is None or op_b is None or op_a.name != op_b.name or a.type != b.type:
        return False
    if a.result_number != b.result_number or len(op_a.regions) or len(op_b.regions):
        return False
    if _attributes(op_a) != _attributes(op_b) or len(op_a.operands) != len(op_b.operands):
        return False
    return all(_same_value(x, y, depth - 1) for x, y in zip(op_a.operands, op_b.operands))


def _attributes(op) -> dict:
    """An op's attributes as text (constants included: masks come from comparisons with small constants)."""
    attributes = op.attributes
    return {attributes[i].name: str(attributes[i].attr) for i in range(len(attributes))}
