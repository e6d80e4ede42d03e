"""Control flow: tracer.cond, tracer.switch, tracer.fori_loop, tracer.while_loop (bounded), tracer.scan.

Each body is drawn like the program around it (closures over earlier values included), and ends
by converting its result to the carry's dtype, which every structured construct requires. Eagerly
these run as Python: `cond` calls one branch, loops iterate, so NumPy computes the expected values.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from benchmarks.fuzzing import values as V
from benchmarks.fuzzing.generate import Call, Scope
from benchmarks.fuzzing.program import Block, Op, Program


def predicate(s: Scope, c: Call) -> str:
    """A traced 0-d bool."""
    name = s.pick_or_new()
    x = c.ref(name)
    return [f"np.any({x})", f"np.all({x})", f"(np.sum({x}) > 0)", f"np.any({x} < 1)"][int(s.rng.integers(4))]


def _deep_enough(s: Scope) -> bool:
    return s.depth >= s.b.config.max_depth


def cond(s: Scope) -> object:
    if _deep_enough(s):
        return None
    rng = s.rng
    c = Call()
    pred = predicate(s, c)
    operands = [s.pick_or_new() for _ in range(int(rng.integers(1, 3)))]
    out = s.b.fresh("v")
    want = (s.shape(operands[0]), s.dtype(operands[0]))
    blocks = []
    for branch in ("true", "false"):
        params = {s.b.fresh("p"): s.values[name] for name in operands}
        made = s.block(f"{out}_{branch}", params, want)
        if made is None:
            return None
        blocks.append(made[0])
    refs = ", ".join(c.ref(n) for n in operands)
    template = f"{{out}} = tracer.cond({pred}, {blocks[0].name}, {blocks[1].name}, {refs})"
    return Op(out, template, tuple(c.uses), "tracer.cond", tuple(blocks))


def switch(s: Scope) -> object:
    if _deep_enough(s):
        return None
    rng = s.rng
    c = Call()
    chooser = s.pick_or_new(lambda v: v.size > 0)
    index = [f"np.argmax({c.ref(chooser)})", f"np.sum({c.ref(chooser)} > 0)",
             f"np.int32({int(rng.integers(-2, 4))})"][int(rng.integers(3))]
    operand = s.pick_or_new()
    out = s.b.fresh("v")
    want = (s.shape(operand), s.dtype(operand))
    blocks = []
    for k in range(int(rng.integers(1, 4))):
        made = s.block(f"{out}_case{k}", {s.b.fresh("p"): s.values[operand]}, want)
        if made is None:
            return None
        blocks.append(made[0])
    template = f"{{out}} = tracer.switch({index}, [{', '.join(b.name for b in blocks)}], {c.ref(operand)})"
    return Op(out, template, tuple(c.uses), "tracer.switch", tuple(blocks))


def fori_loop(s: Scope) -> object:
    if _deep_enough(s):
        return None
    rng = s.rng
    c = Call()
    init = s.pick_or_new()
    lower = int(rng.integers(-1, 3))
    upper = str(lower + int(rng.integers(-1, 5)))
    if rng.random() < 0.25:  # a traced trip count, kept small
        upper = f"np.minimum(np.sum({c.ref(s.pick_or_new())} != 0), 3)"
    out = s.b.fresh("v")
    index, carry = s.b.fresh("i"), s.b.fresh("p")
    made = s.block(f"{out}_body", {index: lower, carry: s.values[init]}, (s.shape(init), s.dtype(init)), loop_index=index)
    if made is None:
        return None
    template = f"{{out}} = tracer.fori_loop({lower}, {upper}, {made[0].name}, {c.ref(init)})"
    return Op(out, template, tuple(c.uses), "tracer.fori_loop", (made[0],))


def while_loop(s: Scope) -> object:
    """`while_loop(lambda s: s[0] < n, ..., (np.int32(0), x), max_iterations=n)[1]`: bounded by a counter."""
    if _deep_enough(s):
        return None
    rng = s.rng
    c = Call()
    init = s.pick_or_new()
    bound = int(rng.integers(0, 4))
    out = s.b.fresh("v")
    state, carry = s.b.fresh("s"), s.b.fresh("p")
    sample = (np.int32(0), s.values[init])
    unpack = Op(carry, "{out} = {0}[1]", (state,), "unpack")
    made = s.block(f"{out}_body", {state: sample}, (s.shape(init), s.dtype(init)), prelude=(unpack,))
    if made is None:
        return None
    body = made[0]
    body = dataclasses.replace(body, ret="({0}[0] + 1, %s)" % body.ret.replace("{0}", "{1}"), ret_uses=(state,) + body.ret_uses)
    extra = ""
    if rng.random() < 0.4:  # and a condition on the data, which may stop it earlier
        extra = " & np.all({0}[1] == {0}[1])" if rng.random() < 0.5 else " & (np.sum({0}[1]) >= 0)"
    test = Block(f"{out}_test", (state,), (), "({0}[0] < %d)%s" % (bound, extra), (state,))
    template = (f"{{out}} = tracer.while_loop({test.name}, {body.name}, (np.int32(0), {c.ref(init)}), "
                f"max_iterations={bound})[1]")
    return Op(out, template, tuple(c.uses), "tracer.while_loop", (test, body))


def scan(s: Scope) -> object:
    """`tracer.scan(step, init, xs)`, taking the carry or the stacked ys. (xs is never empty: eagerly,
    tracer.scan cannot tell the shape of ys without a step to run.)"""
    if _deep_enough(s):
        return None
    rng = s.rng
    c = Call()
    init = s.pick_or_new()
    xs = s.pick_or_new(lambda v: v.ndim > 0 and v.shape[0] > 0)
    if not s.shape(xs) or not s.shape(xs)[0]:
        return None
    out = s.b.fresh("v")
    carry, x = s.b.fresh("p"), s.b.fresh("p")
    made = s.block(f"{out}_step", {carry: s.values[init], x: s.values[xs][0]}, (s.shape(init), s.dtype(init)))
    if made is None:
        return None
    block, inner = made
    ys = inner.pick() or x
    block = dataclasses.replace(block, ret="(%s, {1})" % block.ret, ret_uses=block.ret_uses + (ys,))
    reverse = ", reverse=True" if rng.random() < 0.3 else ""
    template = f"{{out}} = tracer.scan({block.name}, {c.ref(init)}, {c.ref(xs)}{reverse})[{int(rng.integers(2))}]"
    return Op(out, template, tuple(c.uses), "tracer.scan", (block,))


def deep_nesting_program(b) -> Program:
    """(--known-crashes) `tracer.cond` nested ~3,000 deep through a recursive helper (issue 16 #2)."""
    x = V.random_array(b.rng, (2,), np.float32, 0.0)
    depth = int(b.rng.integers(2500, 4000))
    template = ("import sys\n"
                "sys.setrecursionlimit(100000)\n"
                "def {out}_nest(k, c):\n"
                "    if k == 0:\n"
                "        return c + 1\n"
                "    return tracer.cond(np.sum(c) > 0, lambda d: {out}_nest(k - 1, d), lambda d: d - 1, c)\n"
                "{out} = {out}_nest(%d, {0})" % depth)
    op = Op("v1", template, ("x0",), "tracer.cond", info={"known_crash": "deep-nesting"})
    return Program((("x0", x),), (), (op,), ("v1",))


def huge_shape_program(b, overflow: bool) -> Program:
    """(--known-crashes) a broadcast to a shape too large for memory (issue 16 #3) or whose byte size
    overflows int64 (issue 16 #4)."""
    x = V.random_array(b.rng, (1,), np.float32, 0.0)
    shape = (2 ** 31, 2 ** 31) if overflow else (1 << 18, 1 << 18)  # 2^64 bytes of float32; 256 GiB
    op = Op("v1", "{out} = np.broadcast_to({0}, %r) + 1" % (shape,), ("x0",), "np.broadcast_to",
            info={"known_crash": "overflowing-shape" if overflow else "oom-read"})
    return Program((("x0", x),), (), (op,), ("v1",))
