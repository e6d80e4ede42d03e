"""The corpus of real-style NumPy programs (tests/tracer/corpus/), each compiled with tracer.jit as written
and compared with eager NumPy: its results, and for programs that change their arguments, the arguments."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from jax import tree_util

import tracer
from corpus import all_programs

PROGRAMS = all_programs()


def _as_numpy(tree):
    return tree_util.tree_map(lambda leaf: np.asarray(leaf) if hasattr(leaf, "shape") else leaf, tree)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_compiled_as_in_numpy(name):
    program = PROGRAMS[name]
    inputs = program.inputs("test")
    eager_args, compiled_args = copy.deepcopy(inputs), copy.deepcopy(inputs)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = program.fn(*eager_args)
    actual = tracer.jit(program.fn, static_argnums=program.static)(*compiled_args)
    expected_leaves, expected_tree = tree_util.tree_flatten(_as_numpy(expected))
    actual_leaves, actual_tree = tree_util.tree_flatten(_as_numpy(actual))
    assert actual_tree == expected_tree
    for a, e in zip(actual_leaves, expected_leaves):
        np.testing.assert_allclose(a, e, rtol=program.rtol, atol=program.atol)
    # The arguments: changed as NumPy changed them (or, for programs that change none, unchanged).
    for a, e in zip(tree_util.tree_leaves(compiled_args), tree_util.tree_leaves(eager_args)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=program.rtol, atol=program.atol)


def test_the_corpus_is_all_here():
    assert len(PROGRAMS) >= 15 and all(PROGRAMS[name].inputs("test") for name in PROGRAMS)
