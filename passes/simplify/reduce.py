"""`stablehlo.reduce` simplifications: reductions over nothing, of nothing, of reductions and of
broadcasts, and variadic reductions with unused results.

The spec (`reduce`) computes each result element as the body applied along *some* binary tree
over the init value and the reduced elements: the order is implementation-defined. A rewrite
here is exact when every result element still combines the same init with the same multiset of
elements (so it is one of the schedules the original allowed), or when the change is absorbed
by an identity (`body(identity, x) == x` bit for bit) or by idempotence (`max(x, x) == x`).
Identities are bitwise: for float sums it is -0.0, not 0.0 (`0.0 + -0.0` is +0.0).
"""

from __future__ import annotations

import math

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from passes.rewrite import Pattern, Rewriter, defining_op, splat_value, unused

# Bodies made of one of these ops on the two block arguments are recognised as that op.
_COMBINERS = ("stablehlo.add", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum",
              "stablehlo.and", "stablehlo.or", "stablehlo.xor")
# f(x, x) == x: repeating an element does not change the result.
_IDEMPOTENT = ("stablehlo.maximum", "stablehlo.minimum", "stablehlo.and", "stablehlo.or")


def _i64s(op: ir.Operation, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _shape(value: ir.Value) -> list[int]:
    return list(ir.RankedTensorType(value.type).shape)


def _element_type(value: ir.Value) -> ir.Type:
    return ir.RankedTensorType(value.type).element_type


def combiner(reduce: ir.Operation) -> str | None:
    """The op name of a single-result reduce whose body is `return op(lhs, rhs)` on its arguments."""
    if len(reduce.results) != 1:
        return None
    block = reduce.regions[0].blocks[0]
    body = [op.operation for op in block.operations]
    if len(body) != 2 or body[0].name not in _COMBINERS or body[1].operands[0] != body[0].results[0]:
        return None
    if set(body[0].operands) != set(block.arguments) or len(body[0].operands) != 2:
        return None
    return body[0].name


def is_identity(name: str, init: ir.Value) -> bool:
    """Whether the splat `init` is the bitwise identity of `name` for its element type."""
    value = splat_value(init)
    if value is None:
        return False
    element_type = _element_type(init)
    if isinstance(element_type, ir.FloatType):
        return _float_identity(name, float(value))
    if isinstance(element_type, ir.IntegerType):
        return _integer_identity(name, int(value), element_type)
    return False


def _float_identity(name: str, value: float) -> bool:
    if name == "stablehlo.add":
        return value == 0 and math.copysign(1.0, value) < 0  # -0.0: x + -0.0 == x, even for x = -0.0
    return {"stablehlo.multiply": 1.0, "stablehlo.maximum": -math.inf, "stablehlo.minimum": math.inf}.get(name) == value


def _integer_identity(name: str, value: int, element_type: ir.IntegerType) -> bool:
    width, unsigned = element_type.width, element_type.is_unsigned
    low, high = (0, (1 << width) - 1) if unsigned else (-(1 << (width - 1)), (1 << (width - 1)) - 1)
    if width == 1:  # i1 is a boolean: max is or, min is and
        low, high = 0, 1
    identity = {"stablehlo.add": 0, "stablehlo.or": 0, "stablehlo.xor": 0, "stablehlo.multiply": 1,
                "stablehlo.and": -1, "stablehlo.maximum": low, "stablehlo.minimum": high}[name]
    return (value - identity) % (1 << width) == 0  # compares bit patterns (True, 1 and -1 are all i1 true)


def _same_constant(a: ir.Value, b: ir.Value) -> bool:
    if a == b:
        return True
    owner_a, owner_b = defining_op(a), defining_op(b)
    return (owner_a is not None and owner_b is not None and owner_a.name == owner_b.name == "stablehlo.constant"
            and owner_a.attributes["value"] == owner_b.attributes["value"])  # attributes are uniqued: same bits


def build_reduce(like: ir.Operation, inputs, inits, dimensions, result_types, keep=None) -> list[ir.Value] | None:
    """A new reduce with `like`'s body (only the results in `keep`), or None if the body cannot be cut.

    Must run under an insertion point. The body ops the kept results need are cloned with block
    arguments renumbered; if one of them reads a dropped argument, the results are entangled.
    """
    old_block = like.regions[0].blocks[0]
    count = len(like.results)
    keep = list(range(count)) if keep is None else list(keep)
    terminator = list(old_block.operations)[-1].operation
    needed = _body_cone(old_block, [terminator.operands[i] for i in keep])
    if needed is None:
        return None
    kept_arguments = [old_block.arguments[i] for i in keep] + [old_block.arguments[count + i] for i in keep]
    reads = {operand for op in needed for operand in op.operands} | {terminator.operands[i] for i in keep}
    if any(argument in reads for argument in old_block.arguments if argument not in kept_arguments):
        return None
    new = stablehlo.ReduceOp(result_types, inputs, inits, dimensions)
    block = new.body.blocks.append(*[argument.type for argument in kept_arguments])
    mapping = dict(zip(kept_arguments, block.arguments))
    with ir.InsertionPoint(block):
        for op in needed:
            clone = op.clone()
            for index, operand in enumerate(clone.operands):
                clone.operands[index] = mapping.get(operand, operand)
            mapping.update(zip(op.results, clone.results))
        stablehlo.ReturnOp([mapping.get(terminator.operands[i], terminator.operands[i]) for i in keep])
    return list(new.results)


def _body_cone(block: ir.Block, roots) -> list[ir.Operation] | None:
    """The body ops `roots` depend on, in block order; None if one has regions (not cloned here)."""
    wanted = set(roots)
    needed = []
    for op in reversed([op.operation for op in block.operations][:-1]):
        if any(result in wanted for result in op.results):
            if len(op.regions):
                return None
            needed.append(op)
            wanted.update(op.operands)
    return needed[::-1]


class ReduceOverUnitDims(Pattern):
    """reduce over dims of size 1 (or over none) combines init with one element: body(init, x).

    With an identity init that is x itself: a reshape. Otherwise the body's op, elementwise, on
    the broadcast init and x (e.g. a sum from +0.0 turns -0.0 into +0.0, and so does this).
    """

    op_name = "stablehlo.reduce"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        name = combiner(op)
        if name is None:
            return False
        operand, init = op.operands
        if any(_shape(operand)[d] != 1 for d in _i64s(op, "dimensions")):
            return False
        result_type = op.results[0].type
        with rewriter.before(op):
            value = stablehlo.ReshapeOp(result_type, operand).result
            if not is_identity(name, init):
                spread = stablehlo.BroadcastInDimOp(result_type, init, []).result
                value = ir.Operation.create(name, results=[result_type], operands=[spread, value]).result
        rewriter.replace(op, [value])
        return True


class ReduceOfEmpty(Pattern):
    """A reduce of a zero-size input combines no elements: each result is its init, broadcast."""

    op_name = "stablehlo.reduce"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        count = len(op.results)
        inits = list(op.operands)[count:]
        if math.prod(_shape(op.operands[0])) != 0 or math.prod(_shape(op.results[0])) == 0:
            return False  # (an empty result is an empty constant: zero_extent)
        with rewriter.before(op):
            values = [stablehlo.BroadcastInDimOp(result.type, init, []).result for result, init in zip(op.results, inits)]
        rewriter.replace(op, values)
        return True


class ReduceOfReduce(Pattern):
    """reduce(reduce(x, init, D1), init, D2) -> reduce(x, init, D1 ∪ D2) for the same one-op body.

    Each result element combines the same elements of x; the nested form is one of the merged
    reduce's schedules. The init is combined twice in the nested form, once merged: equal only
    if init is an identity or the op is idempotent. (XLA's algebraic simplifier merges the same way.)
    """

    op_name = "stablehlo.reduce"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        name = combiner(op)
        inner = defining_op(op.operands[0])
        if name is None or inner is None or inner.name != "stablehlo.reduce" or combiner(inner) != name:
            return False
        init = op.operands[1]
        if not _same_constant(init, inner.operands[1]) or not (name in _IDEMPOTENT or is_identity(name, init)):
            return False
        if len(list(inner.results[0].uses)) != 1:
            return False  # the inner reduce stays for its other users: merging would only add work
        inner_dims = _i64s(inner, "dimensions")
        kept = [d for d in range(len(_shape(inner.operands[0]))) if d not in inner_dims]
        dims = sorted(inner_dims + [kept[d] for d in _i64s(op, "dimensions")])
        with rewriter.before(op):
            (value,) = build_reduce(op, [inner.operands[0]], [init], dims, [op.results[0].type])
        rewriter.replace(op, [value])
        return True


class ReduceOfBroadcast(Pattern):
    """reduce(broadcast_in_dim(x), D) -> broadcast_in_dim(reduce(x, the dims of x under D)).

    Each result element then combines the elements of x it combined before. A reduced dim the
    broadcast created or stretched repeats each element: only idempotent bodies (max, min, and, or)
    ignore the repeats, so for other bodies every reduced dim must come from x at its full size.
    """

    op_name = "stablehlo.reduce"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        broadcast = defining_op(op.operands[0])
        if len(op.results) != 1 or broadcast is None or broadcast.name != "stablehlo.broadcast_in_dim":
            return False
        x, init = broadcast.operands[0], op.operands[1]
        x_shape, wide_shape = _shape(x), _shape(broadcast.results[0])
        spread = _i64s(broadcast, "broadcast_dimensions")
        dims = set(_i64s(op, "dimensions"))
        if math.prod(wide_shape) == 0:
            return False
        x_dims = [i for i, d in enumerate(spread) if d in dims]
        repeats = math.prod(wide_shape[d] for d in dims) // math.prod(x_shape[i] for i in x_dims)
        if repeats != 1 and combiner(op) not in _IDEMPOTENT:
            return False
        left = [d for d in range(len(wide_shape)) if d not in dims]
        with rewriter.before(op):
            reduced_type = ir.RankedTensorType.get([n for i, n in enumerate(x_shape) if i not in x_dims], _element_type(x))
            reduced = build_reduce(op, [x], [init], x_dims, [reduced_type])
            if reduced is None:
                return False
            value = stablehlo.BroadcastInDimOp(op.results[0].type, reduced[0],
                                               [left.index(spread[i]) for i in range(len(x_shape)) if i not in x_dims]).result
        rewriter.replace(op, [value])
        return True


class ReduceWithUnusedResults(Pattern):
    """A variadic reduce drops the results nobody reads, when the body computes the others without them."""

    op_name = "stablehlo.reduce"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        count = len(op.results)
        keep = [i for i, result in enumerate(op.results) if not unused(result)]
        if count == 1 or not keep or len(keep) == count:
            return False
        operands = list(op.operands)
        with rewriter.before(op):
            values = build_reduce(op, [operands[i] for i in keep], [operands[count + i] for i in keep],
                                  _i64s(op, "dimensions"), [op.results[i].type for i in keep], keep)
        if values is None:
            return False
        by_index = dict(zip(keep, values))
        rewriter.replace(op, [by_index.get(i) for i in range(count)])  # None: a result nobody reads
        return True


def patterns() -> list[Pattern]:
    return [ReduceOfEmpty(), ReduceOverUnitDims(), ReduceWithUnusedResults(), ReduceOfReduce(), ReduceOfBroadcast()]
