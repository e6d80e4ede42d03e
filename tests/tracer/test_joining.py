"""Joining, splitting and rearranging traced vs NumPy: mixed NumPy/traced sequences, dtype=/casting,
pad modes and pad_width forms, static delete/insert, and every error path (with a message match)."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

X = np.arange(12, dtype=np.float32).reshape(3, 4)
INTS = np.array([[3, 1, 3], [0, 7, 7]], np.int8)
V = np.arange(5, dtype=np.int32)


def test_sequences_mix_numpy_and_traced_elements_with_promotion():
    cases = {
        "concatenate NumPy first": Case(lambda a: np.concatenate([np.ones((3, 1)), a], axis=1), (X,)),
        "concatenate int8 + int32 -> int32": Case(lambda a, b: np.concatenate([a.ravel(), b]), (INTS, V)),
        "concatenate axis=None": Case(lambda a, b: np.concatenate((a, b), axis=None), (X, INTS)),
        "concatenate dtype= unsafe": Case(lambda a: np.concatenate((a, a), dtype=np.int16, casting="unsafe"), (X,)),
        "concatenate a traced array as the sequence": Case(lambda a: np.concatenate(a), (X,)),
        "concatenate empty piece": Case(lambda a: np.concatenate([a, a[:0]]), (X,)),
        "stack axis=1 with a list": Case(lambda a: np.stack([a, [9, 9, 9, 9, 9]], axis=1), (V,)),
        "hstack 0-d": Case(lambda a: np.hstack([a, 2.0]), (np.float32(1),)),
        "vstack 1-d": Case(lambda a: np.vstack([a, np.arange(5)]), (V,)),
        "dstack 1-d": Case(lambda a: np.dstack([a, a]), (V,)),
        "column_stack mixed ranks": Case(lambda a: np.column_stack([a[:, 0], a]), (X,)),
        "append scalar": Case(lambda a: np.append(a, 7), (X,)),
        "atleast many": Case(lambda a: np.atleast_2d(a, V, 3.0), (np.float32(2),)),
        "broadcast_arrays": Case(lambda a: np.broadcast_arrays(a, V[:4], 1.0), (X,)),
    }
    check_cases(cases)


def test_joining_errors_match_numpy():
    cases = {
        "concatenate 0-d": Case(lambda a: np.concatenate([a, a]), (np.float32(1),)),
        "concatenate ranks": Case(lambda a: np.concatenate([a, V]), (X,)),
        "concatenate sizes": Case(lambda a: np.concatenate([a, a.T], axis=0), (X,)),
        "concatenate axis": Case(lambda a: np.concatenate([a, a], axis=2), (X,)),
        "concatenate same_kind": Case(lambda a: np.concatenate([a, a], dtype=np.int32), (X,)),
        "concatenate casting=no": Case(lambda a: np.concatenate([a, V], casting="no"), (INTS.ravel(),)),
        "stack shapes": Case(lambda a: np.stack([a, a.T]), (X,)),
        "split unequal": Case(lambda a: np.split(a, 3, axis=1), (X,)),
        "array_split zero": Case(lambda a: np.array_split(a, 0), (X,)),
        "hsplit 0-d": Case(lambda a: np.hsplit(a, 1), (np.float32(1),)),
        "vsplit 1-d": Case(lambda a: np.vsplit(a, 1), (V,)),
        "dsplit 2-d": Case(lambda a: np.dsplit(a, 1), (X,)),
        "moveaxis counts": Case(lambda a: np.moveaxis(a, [0, 1], [0]), (X,)),
        "moveaxis repeated": Case(lambda a: np.moveaxis(a, [0, 0], [0, 1]), (X,)),
        "rollaxis start": Case(lambda a: np.rollaxis(a, 0, 5), (X,)),
        "rot90 same axes": Case(lambda a: np.rot90(a, axes=(1, 1)), (X,)),
        "rot90 three axes": Case(lambda a: np.rot90(a, axes=(0, 1, 2)), (X,)),
        "rot90 out of range": Case(lambda a: np.rot90(a, axes=(0, 4)), (X,)),
        "fliplr 1-d": Case(np.fliplr, (V,)),
        "flipud 0-d": Case(np.flipud, (np.float32(1),)),
        "roll mismatched": Case(lambda a: np.roll(a, (1, 2, 3), axis=(0, 1)), (X,)),
        "repeat negative": Case(lambda a: np.repeat(a, -1), (X,)),
        "repeat wrong count": Case(lambda a: np.repeat(a, [1, 2], axis=1), (X,)),
        "resize negative": Case(lambda a: np.resize(a, (-1, 2)), (X,)),
        "delete out of range": Case(lambda a: np.delete(a, 5, axis=0), (X,)),
        "insert out of range": Case(lambda a: np.insert(a, 9, 1.0, axis=1), (X,)),
        "insert 2-d positions": Case(lambda a: np.insert(a, [[1]], 1.0), (X,)),
        "pad negative": Case(lambda a: np.pad(a, -1), (X,)),
        "pad float widths": Case(lambda a: np.pad(a, 1.5), (X,)),
        "pad unknown mode": Case(lambda a: np.pad(a, 1, mode="nope"), (X,)),
        "pad wrong keyword": Case(lambda a: np.pad(a, 1, mode="edge", constant_values=3), (X,)),
        "pad empty axis edge": Case(lambda a: np.pad(a, 1, mode="edge"), (np.zeros((0, 2)),)),
        "pad stat_length 0": Case(lambda a: np.pad(a, 1, mode="maximum", stat_length=0), (X,)),
        "pad mean stat_length 0 is nan": Case(lambda a: np.pad(a, 1, mode="mean", stat_length=0), (X,)),
    }
    check_cases(cases)


def test_split_forms():
    cases = {
        "split points with negatives and overflow": Case(lambda a: np.split(a, [1, -1, 10], axis=1), (X,)),
        "array_split uneven": Case(lambda a: np.array_split(a, 3), (V,)),
        "array_split more pieces than elements": Case(lambda a: np.array_split(a, 7), (V,)),
        "split NumPy array of points": Case(lambda a: np.split(a, np.array([2]), axis=0), (X,)),
        "hsplit 1-d": Case(lambda a: np.hsplit(a, [2]), (V,)),
        "dsplit": Case(lambda a: np.dsplit(a, 2), (X.reshape(3, 2, 2),)),
    }
    check_cases(cases)


def test_rearranging():
    cube = X.reshape(3, 2, 2)
    cases = {
        "tile higher rank reps": Case(lambda a: np.tile(a, (2, 1, 3)), (X,)),
        "tile 0": Case(lambda a: np.tile(a, 0), (X,)),
        "repeat per element": Case(lambda a: np.repeat(a, [1, 0, 3], axis=0), (X,)),
        "repeat NumPy counts": Case(lambda a: np.repeat(a, np.array([2]), axis=-1), (X,)),
        "roll flattened": Case(lambda a: np.roll(a, 5), (X,)),
        "roll tuples": Case(lambda a: np.roll(a, (1, -2, 3), (0, 1, 0)), (X,)),
        "roll empty": Case(lambda a: np.roll(a, 2, axis=0), (np.zeros((0, 2)),)),
        "rot90 every k": Case(lambda a: tuple(np.rot90(a, k, axes=(2, 0)) for k in range(-1, 5)), (cube,)),
        "moveaxis lists": Case(lambda a: np.moveaxis(a, [0, 1], [-1, 0]), (cube,)),
        "rollaxis": Case(lambda a: (np.rollaxis(a, 2), np.rollaxis(a, 0, 3), np.rollaxis(a, -1, -2)), (cube,)),
        "flip tuple": Case(lambda a: np.flip(a, (0, 2)), (cube,)),
        "resize cycles": Case(lambda a: (np.resize(a, (5, 5)), np.resize(a, 3), np.resize(a, (0,))), (X,)),
        "resize empty input": Case(lambda a: np.resize(a, (2, 2)), (np.zeros((0,), np.int8),)),
        "delete forms": Case(lambda a: (np.delete(a, 1), np.delete(a, [0, 2], axis=1), np.delete(a, slice(None, None, 2), axis=0),
                                        np.delete(a, -1, axis=0), np.delete(a, np.array([True, False, True]), axis=0)), (X,)),
        "insert forms": Case(lambda a: (np.insert(a, 1, 5), np.insert(a, 1, [5, 6, 7], axis=1), np.insert(a, [1, 1, 4], [5, 6, 7], axis=1),
                                        np.insert(a, 2, 9, axis=0), np.insert(a, [2], [[1], [2], [3]], axis=1),
                                        np.insert(a, slice(0, 2), 0.5, axis=0), np.insert(a, -1, a[0], axis=0)), (X,)),
        "insert traced values": Case(lambda a, v: np.insert(a, 1, v, axis=1), (X, np.float32(2.5))),
        # values with extra leading unit dims: NumPy writes them in by setitem, which drops those dims
        "insert values with leading unit dims": Case(lambda a, v, w: (np.insert(a, -1, v), np.insert(a, [1, 2], v),
                                                                      np.insert(a, 1, w[0], axis=0)),
                                                     (X, np.full((1, 1, 1), 7, np.uint64), np.ones((1, 1, 1, 4), np.uint64))),
    }
    check_cases(cases)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum", "mean", "linear_ramp"])
def test_pad_modes_and_width_forms(mode):
    """Every pad_width form, widths beyond the axis length (reflections repeat), ints and floats."""
    cases = {}
    for width in [0, 2, (1, 2), ((0, 1), (5, 3)), ((7,), (2,)), [[1, 6]], np.array([[2, 0], [0, 9]])]:
        for name, x in {"float32": X, "int8": INTS, "size-1 axis": X[:1], "1-d": V}.items():
            if np.ndim(width) == 2 and np.shape(width)[0] == 2 and x.ndim != 2:
                continue
            cases[f"{mode} width={np.asarray(width).tolist()} {name}"] = Case(lambda a, w=width: np.pad(a, w, mode=mode), (x,))
    check_cases(cases)


def test_pad_keyword_arguments():
    cases = {
        "constant_values pairs per axis (cast to int8)": Case(lambda a: np.pad(a, 2, constant_values=((1, 2), (3.7, 4))), (INTS,)),
        "constant_values traced": Case(lambda a, v: np.pad(a, 1, constant_values=v), (X, np.float32(-1))),
        "stat_length pairs": Case(lambda a: np.pad(a, 3, mode="mean", stat_length=((1, 2), (2, 3))), (INTS,)),
        "stat_length longer than axis": Case(lambda a: np.pad(a, 2, mode="maximum", stat_length=10), (X,)),
        "end_values": Case(lambda a: np.pad(a, 3, mode="linear_ramp", end_values=((1, 20), (-3, 4))), (INTS,)),
        "empty mode shape": Case(lambda a: np.pad(a, 2, mode="empty").shape, (X,)),
        "empty axis constant": Case(lambda a: np.pad(a, 3), (np.zeros((0, 2)),)),
    }
    check_cases({k: v for k, v in cases.items() if k != "empty mode shape"})
    shape = tracer.jit(lambda a: np.zeros(np.pad(a, 2, mode="empty").shape))(X).shape
    assert shape == (7, 8)


@pytest.mark.parametrize(("call", "match"), [
    (lambda a: np.pad(a, 1, mode="reflect", reflect_type="odd"), "reflect_type"),
    (lambda a: np.pad(a, 1, mode="median"), "median"),
    (lambda a: np.pad(a, 1, mode=lambda *args: None), "mode"),
    (lambda a: np.pad(a, a.astype(np.int64)), "pad_width"),
    (lambda a: np.pad(a, 1, constant_values=a), "constant_values"),
    (lambda a: np.roll(a, a[0]), "shift"),
    (lambda a: np.repeat(a, a.astype(np.int32)), "repeats"),
    (lambda a: np.split(a, a[0]), "indices_or_sections"),
    (lambda a: np.delete(a, a[0]), "obj"),
    (lambda a: np.concatenate([a, a], out=a), "out"),
])
def test_unsupported_arguments_are_named(call, match):
    with pytest.raises(tracer.UnsupportedNumPyError, match=match):
        tracer.jit(call)(np.arange(4.0))
