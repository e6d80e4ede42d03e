"""`CarriedCall`: one compiled program run again and again on a state that its results hand to its next call.

A training step takes the parameters, states and optimiser state and returns their new values, which the
next step takes. Through `tracer.jit` every step flattens those trees (hundreds of leaves for a deep model),
builds and hashes the signature key, wraps every result buffer in a ConcreteArray and rebuilds the trees;
for a model of many small arrays that costs more than the program, and the wrappers, alive for one step
each, make Python's garbage collector run its full collections several times as often. A CarriedCall maps
the result buffers straight onto the next call's argument buffers: the carried state stays a flat list of
device buffers between calls, and only the results the caller reads (a loss) are wrapped.

Built from a call the jit function has made (`JitFunction.carried_call`), for a program that runs on one device
without writing into its arguments; the caller says which input leaves the state is and which result leaves
are its next value. A later call whose other leaves differ (another data shape, another model) is not this
program's: `call` returns None and the caller takes the ordinary path.
"""

from __future__ import annotations

import operator
from typing import Sequence

from runtime import ConcreteArray, DonatedBuffer
from tracer import signature

__all__ = ["CarriedCall"]


def _getter(indices: Sequence[int]):
    """A C-speed `lambda pool: [pool[i] for i in indices]` (operator.itemgetter's tuple, made a list)."""
    if not indices:
        return lambda pool: []
    if len(indices) == 1:
        (index,) = indices
        return lambda pool: [pool[index]]
    get = operator.itemgetter(*indices)
    return lambda pool: list(get(pool))


class CarriedCall:
    """`call(carry, others) -> (new_carry, out_others)`, or None when `others` are not this program's.

    `carry`: the carried input leaves in order, each a device buffer where the leaf is an array and the
    static value itself where it is not (static carried leaves pass through unchanged). `others`: every
    other input leaf in order (NumPy arrays, ConcreteArrays, static values). `new_carry`: the carried
    result leaves, the same way. `out_others`: every other result leaf, arrays wrapped as ConcreteArrays.
    """

    __slots__ = ("carry_signatures", "donated_slots", "_carry_statics", "_compiled", "_execute", "_other_statics", "_other_arrays",
                 "_arguments", "_new_carry", "_out_others")

    def __init__(self, compiled, leaves: list, carry_in: Sequence[int], carry_out: Sequence[int], out_count: int):
        """`leaves`: the input leaves of a call made with this program; `carry_in`: the positions among them of
        the carried state; `carry_out`: the positions among the `out_count` result leaves of its next value.
        Raises ValueError when the program cannot run this way (the caller keeps the ordinary path)."""
        if compiled._plan is not None or compiled._mutations or compiled._sync:
            raise ValueError("a sharded program, one that writes into its arguments or a synchronous one")
        self._compiled = compiled
        self._execute = compiled._unpacked_executable().execute
        traced_of_leaf = {leaf: t for t, leaf in enumerate(compiled._array_positions)}
        kept = compiled._kept if compiled._kept is not None else range(len(compiled._in_signatures))
        module_argument_of_traced = {t: m for m, t in enumerate(kept)}
        carry_slot = {leaf: k for k, leaf in enumerate(carry_in)}
        others = [i for i in range(len(leaves)) if i not in carry_slot]
        # Per carried slot: its signature (None for a static leaf), read back when the caller wraps the state.
        self.carry_signatures = tuple(signature.leaf_key(leaves[i]) if i in traced_of_leaf else None for i in carry_in)
        self._carry_statics = tuple(signature.leaf_key(leaves[i]) for i in carry_in if i not in traced_of_leaf)
        donated_traced = {kept[m] for m in compiled._donated}
        self.donated_slots = tuple(k for k, leaf in enumerate(carry_in) if traced_of_leaf.get(leaf) in donated_traced)
        if len(self.donated_slots) != len(donated_traced):
            raise ValueError("a donated argument is not carried (its ConcreteArray would not learn it was taken)")
        # Other leaves: static ones must key a call as the ones this program was traced with (the same objects,
        # or equal ones: a loss object made anew per step); arrays must have its signature, and those the
        # module takes are moved to the device as `Compiled` would.
        self._other_statics = tuple((j, leaves[i]) for j, i in enumerate(others) if i not in traced_of_leaf)
        self._other_arrays = tuple(
            (j, signature.leaf_key(leaves[i]), module_argument_of_traced.get(traced_of_leaf[i]))
            for j, i in enumerate(others) if i in traced_of_leaf)
        # The module's arguments, from a pool of carry + the other arrays' buffers (in `_other_arrays` order).
        position = {}
        for k, leaf in enumerate(carry_in):
            t = traced_of_leaf.get(leaf)
            if t is not None and t in module_argument_of_traced:
                position[module_argument_of_traced[t]] = k
        for n, (_, _, m) in enumerate(self._other_arrays):
            if m is not None:
                position[m] = len(carry_in) + n
        self._arguments = _getter([position[m] for m in range(len(kept))])
        self._new_carry, self._out_others = self._result_sources(compiled, leaves, carry_in, carry_out, carry_slot,
                                                                 traced_of_leaf, out_count)

    def _result_sources(self, compiled, leaves, carry_in, carry_out, carry_slot, traced_of_leaf, out_count):
        """Where each result leaf comes from: a module result, an argument handed back, or a static value.
        The carry must come back as it went in: arrays of the same signatures, static values equal."""
        outputs = {position: j for j, position in enumerate(compiled._out_positions)}
        handed_back = {position: compiled._array_positions[t] for position, t in compiled._forwarded}
        result_count = len(compiled._out_positions)
        signatures = compiled._result_signatures
        # The next carry, from a pool of the module's results + the carry given.
        carried = set(carry_out)
        new_carry = []
        for k, position in enumerate(carry_out):
            expected = self.carry_signatures[k]
            if position in outputs and expected == signatures[outputs[position]]:
                new_carry.append(outputs[position])
            elif (position in handed_back and handed_back[position] in carry_slot
                  and expected == self.carry_signatures[carry_slot[handed_back[position]]]):
                new_carry.append(result_count + carry_slot[handed_back[position]])
            elif (position not in outputs and position not in handed_back and expected is None
                  and _same_static(compiled._out_template[position], leaves[carry_in[k]])):
                new_carry.append(result_count + k)  # a static leaf: the value it came in with
            else:
                raise ValueError(f"carried result {k} is not its argument's next value (another signature, another "
                                 "static value, or an argument that is not carried)")
        out_others = []
        for position in range(out_count):
            if position in carried:
                continue
            if position in outputs:
                j = outputs[position]
                out_others.append(("result", j, signatures[j]))
            elif position in handed_back:
                if handed_back[position] not in carry_slot:
                    raise ValueError("a result is an argument that is not carried")
                slot = carry_slot[handed_back[position]]
                out_others.append(("carried", slot, None))
            else:
                out_others.append(("static", compiled._out_template[position], None))
        return _getter(new_carry), tuple(out_others)

    def takes_carry(self, carry: list) -> bool:
        """Whether `carry`'s static values are the ones this program was traced with (its arrays are the
        caller's to check: their signatures are `carry_signatures`)."""
        statics = tuple(signature.leaf_key(value) for value, key in zip(carry, self.carry_signatures) if key is None)
        return statics == self._carry_statics

    def takes_carry_of(self, other: "CarriedCall") -> bool:
        """Whether a carry made for `other` (another program of the same loop, e.g. for another data shape)
        can be given to this one: the same array signatures and the same static values, slot for slot."""
        return self.carry_signatures == other.carry_signatures and self._carry_statics == other._carry_statics

    def call(self, carry: list, others: list, *, check_aliasing: bool = False):
        """Run once; None when `others` do not match this program (see the class). `check_aliasing`: a buffer
        of `carry` may also be among `others` (the caller handed out wrappers of the carried buffers), so a
        donated one given twice must be refused as `tracer.jit` refuses it."""
        for j, value in self._other_statics:
            if others[j] is not value and not _same_static(others[j], value):
                return None
        buffers = []
        for j, key, m in self._other_arrays:
            array = others[j]
            kind = type(array)
            if kind is ConcreteArray:
                if array.signature != key:
                    return None
                buffers.append(array.buffer)
            elif signature.leaf_key(array) != key:
                return None
            elif m is not None:
                buffers.append(self._compiled._transfers[m](array))
            else:
                buffers.append(None)
        compiled = self._compiled
        arguments = self._arguments(carry + buffers)
        if check_aliasing:
            compiled._check_donation(arguments)
        try:
            outputs = self._execute(arguments)
        except Exception:
            compiled.raise_execute_error(arguments)
        new_carry = self._new_carry(outputs + carry)
        wrap, out_others = ConcreteArray.wrap, []
        for kind, what, result_signature in self._out_others:
            if kind == "result":
                out_others.append(wrap(outputs[what], result_signature))
            elif kind == "carried":
                out_others.append(wrap(carry[what], self.carry_signatures[what]))
            else:
                out_others.append(what)
        return new_carry, out_others

    def wrap_carry(self, carry: list, donated_at: str | None = None) -> list:
        """The carried leaves as the caller's trees hold them: arrays wrapped as ConcreteArrays (those donated
        to the call at `donated_at`, if given, saying so when used), static values as they are."""
        marker = None if donated_at is None else DonatedBuffer(donated_at)
        donated = set(self.donated_slots) if marker is not None else ()
        leaves = []
        for k, (value, key) in enumerate(zip(carry, self.carry_signatures)):
            if key is None:
                leaves.append(value)
            else:
                leaves.append(ConcreteArray.wrap(marker if k in donated else value, key))
        return leaves


def _same_static(a, b) -> bool:
    """Whether two static leaves key a call the same (`tracer.signature`'s structural key)."""
    try:
        return signature.leaf_key(a) == signature.leaf_key(b)
    except Exception:  # noqa: BLE001  (an unhashable leaf: it could not key a call at all)
        return False
