"""`stablehlo.reduce` simplifications: reductions over nothing, of nothing, of reductions, of
broadcasts and of dots, sums of products as dots, `+0.0` added to a sum, and variadic reductions
with unused results.

The spec (`reduce`) computes each result element as the body applied along *some* binary tree
over the init value and the reduced elements: the order is implementation-defined. A rewrite
here is exact when every result element still combines the same init with the same multiset of
elements (so it is one of the schedules the original allowed), or when the change is absorbed
by an identity (`body(identity, x) == x` bit for bit) or by idempotence (`max(x, x) == x`).
Identities are bitwise: for float sums it is -0.0, not 0.0 (`0.0 + -0.0` is +0.0).

A float sum from +0.0 (what JAX and our tracer emit) has no identity init, but merges as well: in
IEEE arithmetic (rounding to nearest, as the spec has it) a sum is -0.0 only if every term is -0.0,
so a sum with a +0.0 term is never -0.0. Another +0.0 term changes a partial sum only if that
partial sum is -0.0 (all its terms -0.0), and the difference, a zero's sign, vanishes where it
meets the partial sum that holds the first +0.0: a tree with one +0.0 leaf or with several
computes the same value.

No rewrite here makes a dot whose result is a scalar: a sum of everything, as a reduce, fuses with
the ops that feed it, whereas a dot reads its operands materialised (on a JAX MLP training step's
loss, XLA ran the full-contraction dot 2-8% slower than the reduce it replaced).
"""

from __future__ import annotations

import math

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import query
from ir.query import i64s, splat_value
from passes.rewrite import Pattern, Rewriter, defining_op, unused

__all__ = ["patterns"]

# Bodies made of one of these ops on the two block arguments are recognised as that op.
_COMBINERS = ("stablehlo.add", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum",
              "stablehlo.and", "stablehlo.or", "stablehlo.xor")
# f(x, x) == x: repeating an element does not change the result.
_IDEMPOTENT = ("stablehlo.maximum", "stablehlo.minimum", "stablehlo.and", "stablehlo.or")


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
    element_type = query.element_type(init)
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


def is_positive_zero(value: ir.Value) -> bool:
    """Whether `value` is a splat float +0.0 constant."""
    zero = splat_value(value)
    return (zero is not None and zero == 0 and isinstance(query.element_type(value), ir.FloatType)
            and math.copysign(1.0, float(zero)) > 0)


def absorbs_repeated_init(name: str, init: ir.Value) -> bool:
    """Whether combining `init` into a result once or several times gives the same value (see the module doc)."""
    return name in _IDEMPOTENT or is_identity(name, init) or (name == "stablehlo.add" and is_positive_zero(init))


def _same_constant(a: ir.Value, b: ir.Value) -> bool:
    if a == b:
        return True
    owner_a, owner_b = defining_op(a), defining_op(b)
    return (owner_a is not None and owner_b is not None and owner_a.name == owner_b.name == "stablehlo.constant"
            and owner_a.attributes["value"] == owner_b.attributes["value"])  # attributes are uniqued: same bits


def _same_splat(a: ir.Value, b: ir.Value) -> bool:
    """Whether a and b are splat constants of one element type holding the same bits (shapes may differ)."""
    if query.element_type(a) != query.element_type(b):
        return False
    element, other = query.splat_element(a), query.splat_element(b)
    return element is not None and other is not None and element == other  # (uniqued attributes: equal bits)


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

    With an identity init that is x itself: a reshape. So it is for a sum from +0.0 of an x that is
    never -0.0 (a sum from +0.0 itself: JAX's bias gradients sum a sum again over unit dims).
    Otherwise the body's op, elementwise, on the broadcast init and x (e.g. a sum from +0.0 turns
    -0.0 into +0.0, and so does this).
    """

    op_name = "stablehlo.reduce"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        name = combiner(op)
        if name is None:
            return False
        operand, init = op.operands
        if any(query.shape(operand)[d] != 1 for d in i64s(op, "dimensions")):
            return False
        result_type = op.results[0].type
        with rewriter.before(op):
            value = stablehlo.ReshapeOp(result_type, operand).result
            if not is_identity(name, init) and not (name == "stablehlo.add" and is_positive_zero(init)
                                                    and is_never_negative_zero(operand)):
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
        if math.prod(query.shape(op.operands[0])) != 0 or math.prod(query.shape(op.results[0])) == 0:
            return False  # (an empty result is an empty constant: zero_extent)
        with rewriter.before(op):
            values = [stablehlo.BroadcastInDimOp(result.type, init, []).result for result, init in zip(op.results, inits)]
        rewriter.replace(op, values)
        return True


class ReduceOfReduce(Pattern):
    """reduce(reduce(x, init, D1), init, D2) -> reduce(x, init, D1 ∪ D2) for the same one-op body.

    Each result element combines the same elements of x; the nested form is one of the merged
    reduce's schedules. The init is combined twice in the nested form, once merged: equal only
    if init is an identity, the op is idempotent, or it is a float sum from +0.0 (see the module
    doc). (XLA's algebraic simplifier merges the same way.)
    """

    op_name = "stablehlo.reduce"
    operand_from = (0, frozenset({"stablehlo.reduce"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        name = combiner(op)
        inner = defining_op(op.operands[0])
        if name is None or inner is None or inner.name != "stablehlo.reduce" or combiner(inner) != name:
            return False
        init = op.operands[1]
        if not _same_constant(init, inner.operands[1]) or not absorbs_repeated_init(name, init):
            return False
        if len(list(inner.results[0].uses)) != 1:
            return False  # the inner reduce stays for its other users: merging would only add work
        inner_dims = i64s(inner, "dimensions")
        kept = [d for d in range(query.rank(inner.operands[0])) if d not in inner_dims]
        dims = sorted(inner_dims + [kept[d] for d in i64s(op, "dimensions")])
        with rewriter.before(op):
            (value,) = build_reduce(op, [inner.operands[0]], [init], dims, [op.results[0].type])
        rewriter.replace(op, [value])
        return True


class ReduceOfBroadcast(Pattern):
    """reduce(broadcast_in_dim(x), D) -> broadcast_in_dim(reduce(x, the dims of x under D)).

    Each result element then combines the elements of x it combined before. A reduced dim the
    broadcast created or stretched repeats each element: idempotent bodies (max, min, and, or) ignore
    the repeats, and an integer sum from 0 counts each element `repeats` times, which a multiply by
    `repeats` gives exactly (both wrap modulo 2^width). Float sums of repeats round differently from a
    product, so for them every reduced dim must come from x at its full size.
    """

    op_name = "stablehlo.reduce"
    operand_from = (0, frozenset({"stablehlo.broadcast_in_dim"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        broadcast = defining_op(op.operands[0])
        if len(op.results) != 1 or broadcast is None or broadcast.name != "stablehlo.broadcast_in_dim":
            return False
        x, init = broadcast.operands[0], op.operands[1]
        x_shape, wide_shape = query.shape(x), query.shape(broadcast.results[0])
        spread = i64s(broadcast, "broadcast_dimensions")
        dims = set(i64s(op, "dimensions"))
        if math.prod(wide_shape) == 0:
            return False
        x_dims = [i for i, d in enumerate(spread) if d in dims]
        repeats = math.prod(wide_shape[d] for d in dims) // math.prod(x_shape[i] for i in x_dims)
        scale = None
        if repeats != 1 and combiner(op) not in _IDEMPOTENT:
            element_type = query.element_type(x)
            if not (combiner(op) == "stablehlo.add" and isinstance(element_type, ir.IntegerType)
                    and element_type.width > 1 and is_identity("stablehlo.add", init)):
                return False
            scale = repeats % (1 << element_type.width)
        left = [d for d in range(len(wide_shape)) if d not in dims]
        with rewriter.before(op):
            reduced_type = ir.RankedTensorType.get([n for i, n in enumerate(x_shape) if i not in x_dims], query.element_type(x))
            reduced = build_reduce(op, [x], [init], x_dims, [reduced_type])
            if reduced is None:
                return False
            value = stablehlo.BroadcastInDimOp(op.results[0].type, reduced[0],
                                               [left.index(spread[i]) for i in range(len(x_shape)) if i not in x_dims]).result
            if scale is not None:
                result_type = ir.RankedTensorType(op.results[0].type)
                factor = stablehlo.ConstantOp(ir.DenseElementsAttr.get_splat(
                    result_type, ir.IntegerAttr.get(result_type.element_type, _as_signed(scale, result_type.element_type))))
                value = stablehlo.MulOp(value, factor.result).result
        rewriter.replace(op, [value])
        return True


def _as_signed(value: int, element_type: ir.IntegerType) -> int:
    """An unsigned count as the integer attribute of a signless type of that width holds it."""
    width = element_type.width
    if element_type.is_unsigned or value < (1 << (width - 1)):
        return value
    return value - (1 << width)


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
                                  i64s(op, "dimensions"), [op.results[i].type for i in keep], keep)
        if values is None:
            return False
        by_index = dict(zip(keep, values))
        rewriter.replace(op, [by_index.get(i) for i in range(count)])  # None: a result nobody reads
        return True


# Element types whose dot_general accumulates in the type itself, as a reduce does.
_DOT_TYPES = ("f32", "f64")
# Ops that only move elements: what they produce holds no value their operand did not.
_MOVES = ("stablehlo.reshape", "stablehlo.transpose", "stablehlo.broadcast_in_dim")


def _is_sum_from_positive_zero(op: ir.Operation) -> bool:
    return op.name == "stablehlo.reduce" and combiner(op) == "stablehlo.add" and is_positive_zero(op.operands[1])


def _reduced_elements(op: ir.Operation) -> int:
    operand_shape = query.shape(op.operands[0])
    return math.prod(operand_shape[d] for d in i64s(op, "dimensions"))


def _highest_precision(context: ir.Context) -> ir.ArrayAttr:
    highest = ir.Attribute.parse("#stablehlo<precision HIGHEST>", context)
    return ir.ArrayAttr.get([highest, highest], context)


class SumOfProductsIsDot(Pattern):
    """reduce(multiply(a, b), +0.0, add, D) -> dot_general(a, b) contracting D, the other dims batch dims.

    The spec defines dot_general as just that: each result element is the sum from +0.0, in an
    implementation-defined order, of the products of paired elements. With the kept dims as batch
    dims (in order) and no free dims, the result's dims are the reduce's. Only f32 and f64, where a
    dot accumulates in the element type as the reduce does, and at HIGHEST precision (at DEFAULT a
    GPU may multiply f32 in TF32, a TPU in bf16 passes). Only when the product has no other use (it
    would be computed twice) and neither factor is a broadcast or a constant: a fused multiply-reduce
    reads those without materialising them, a dot would not.
    """

    op_name = "stablehlo.reduce"
    operand_from = (0, frozenset({"stablehlo.multiply"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        if not _is_sum_from_positive_zero(op) or str(query.element_type(op.operands[0])) not in _DOT_TYPES:
            return False
        product = defining_op(op.operands[0])
        if product is None or product.name != "stablehlo.multiply" or len(list(product.results[0].uses)) != 1:
            return False
        if _reduced_elements(op) < 2:  # (a sum of one element is an add: ReduceOverUnitDims)
            return False
        for factor in product.operands:
            owner = defining_op(factor)
            if owner is not None and owner.name in ("stablehlo.broadcast_in_dim", "stablehlo.constant"):
                return False
        contract = sorted(i64s(op, "dimensions"))
        batch = [d for d in range(query.rank(op.operands[0])) if d not in contract]
        if not batch:
            return False  # a sum of everything stays a reduce (module doc)
        numbers = stablehlo.DotDimensionNumbers.get(
            lhs_batching_dimensions=batch, lhs_contracting_dimensions=contract,
            rhs_batching_dimensions=batch, rhs_contracting_dimensions=contract, context=op.context)
        lhs, rhs = product.operands
        with rewriter.before(op):
            dot = stablehlo.DotGeneralOp(op.results[0].type, lhs, rhs, numbers)
            dot.operation.attributes["precision_config"] = _highest_precision(op.context)
        rewriter.replace(op, [dot.result])
        return True


class SumOverDotBatchDims(Pattern):
    """reduce(dot_general(a, b), +0.0, add, D), D batch dims of the dot -> one dot_general contracting D too.

    Each element of the nested form sums, from +0.0, sums from +0.0 of products; the merged dot sums
    the same products from one +0.0, which is the same value (module doc). The dot's remaining batch
    dims and its free dims keep their order, so the result's dims are the reduce's. Only f32 and f64
    (a dot of narrower floats accumulates wider than the reduce), and only when the dot has no other use.
    """

    op_name = "stablehlo.reduce"
    operand_from = (0, frozenset({"stablehlo.dot_general"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        if not _is_sum_from_positive_zero(op) or str(query.element_type(op.operands[0])) not in _DOT_TYPES:
            return False
        dot = defining_op(op.operands[0])
        if dot is None or dot.name != "stablehlo.dot_general" or len(list(dot.results[0].uses)) != 1:
            return False
        numbers = query.dot_dimensions(dot)
        lhs_batch, rhs_batch = numbers.lhs_batch, numbers.rhs_batch
        dims = i64s(op, "dimensions")
        if not dims or any(d >= len(lhs_batch) for d in dims):
            return False
        if not query.shape(op.results[0]):
            return False  # a sum of everything stays a reduce (module doc)
        pairs = sorted([*zip(numbers.lhs_contract, numbers.rhs_contract),
                        *((lhs_batch[i], rhs_batch[i]) for i in dims)])  # (pairs in any order sum the same products)
        merged = stablehlo.DotDimensionNumbers.get(
            lhs_batching_dimensions=[d for i, d in enumerate(lhs_batch) if i not in dims],
            rhs_batching_dimensions=[d for i, d in enumerate(rhs_batch) if i not in dims],
            lhs_contracting_dimensions=[l for l, _ in pairs], rhs_contracting_dimensions=[r for _, r in pairs],
            context=op.context)
        with rewriter.before(op):
            new = stablehlo.DotGeneralOp(op.results[0].type, *dot.operands, merged)
            for name in ("precision_config", "algorithm"):
                if name in dot.attributes:
                    new.operation.attributes[name] = dot.attributes[name]
        rewriter.replace(op, [new.result])
        return True


def _contracted_elements(dot: ir.Operation) -> int:
    lhs_shape = query.shape(dot.operands[0])
    return math.prod(lhs_shape[d] for d in query.dot_dimensions(dot).lhs_contract)


def is_never_negative_zero(value: ir.Value) -> bool:
    """Whether `value` is a float sum from +0.0 of at least two terms, or such a sum moved around.

    Such a sum is never -0.0 (module doc). A dot_general is one (the spec defines it as the sum from
    +0.0 of its products), so a sum stays recognised after SumOfProductsIsDot. Sums of one term are
    not counted: XLA takes a reduce's init for an identity and turns a reduce over unit dims into a
    reshape of its one element, and a dot contracting one element into a multiply.
    """
    owner = defining_op(value)
    while owner is not None and owner.name in _MOVES:
        owner = defining_op(owner.operands[0])
    if owner is None or not isinstance(query.element_type(owner.results[0]), ir.FloatType):
        return False
    if owner.name == "stablehlo.dot_general":
        return _contracted_elements(owner) >= 2
    return _is_sum_from_positive_zero(owner) and _reduced_elements(owner) >= 2


class PositiveZeroAddedToSum(Pattern):
    """add(s, +0.0) -> s for a float sum s from +0.0 (JAX's gradients add such zeros after every bias sum).

    x + 0.0 is x for every x but -0.0, and such a sum is never -0.0.
    """

    op_name = "stablehlo.add"
    operand_from = (None, frozenset({"stablehlo.constant"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        for value, zero in ((lhs, rhs), (rhs, lhs)):
            if is_positive_zero(zero) and is_never_negative_zero(value):
                rewriter.replace(op, [value])
                return True
        return False


class InitCombinedAgain(Pattern):
    """op(reduce(x, c, op), c) -> the reduce, for an idempotent op (max, min, and, or) and splat c.

    The reduce already combined c into every result, and these ops are associative, commutative and
    idempotent (IEEE maximum and minimum too: nan wins, -0.0 < +0.0), so combining c once more
    changes nothing. (JAX's softmax takes max(reduce_max(x, -inf), -inf).)
    """

    operand_from = (None, frozenset({"stablehlo.reduce"}))

    def __init__(self, op_name: str):
        self.op_name = op_name

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        for reduced, other in ((lhs, rhs), (rhs, lhs)):
            owner = defining_op(reduced)
            if owner is None or owner.name != "stablehlo.reduce" or combiner(owner) != op.name:
                continue
            if _same_splat(owner.operands[1], other):
                rewriter.replace(op, [reduced])
                return True
        return False


def patterns() -> list[Pattern]:
    return [ReduceOfEmpty(), ReduceOverUnitDims(), ReduceWithUnusedResults(), ReduceOfReduce(), ReduceOfBroadcast(),
            SumOverDotBatchDims(), SumOfProductsIsDot(), PositiveZeroAddedToSum(),
            *(InitCombinedAgain(name) for name in _IDEMPOTENT)]
