"""Sharding over 8 virtual CPU devices: placement, in/out shardings, constraints, errors, examples.

The checks live in `sharded_checks.py` and run once, in a subprocess: the device count of XLA's
CPU client is fixed when jax initialises, which this pytest process has already done with one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CHECK_NAMES = [
    "eight_devices",
    "lapack_calls_on_a_batch_split_over_devices",
    "placement_splits_the_array_over_the_mesh",
    "elementwise_matches_numpy_and_one_device",
    "matmul_with_a_sharded_contraction_dimension",
    "sharding_constraint_inside_traced_code",
    "arguments_elsewhere_are_moved_to_in_shardings",
    "device_arrays_move_to_the_sharding_or_device_asked_for",
    "out_shardings_pytree_prefix",
    "unused_arguments_are_dropped_from_a_sharded_program",
    "data_parallel_example",
    "tensor_parallel_example",
    "indivisible_dimension_is_refused",
    "unknown_axis_is_refused",
    "spec_longer_than_the_array_is_refused",
    "two_meshes_in_one_function_are_refused",
    "mesh_larger_than_the_machine_is_refused",
    "dlpack_of_a_split_array_is_refused",
]


@pytest.fixture(scope="module")
def results() -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.run([sys.executable, os.path.join(HERE, "sharded_checks.py")], capture_output=True,
                             text=True, cwd=ROOT, env=env, timeout=300)
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULTS ")]
    assert lines, f"the sharded checks did not report (exit {process.returncode}):\n{process.stdout}\n{process.stderr}"
    return json.loads(lines[-1][len("RESULTS "):])


def test_every_check_ran(results):
    assert sorted(results) == sorted(CHECK_NAMES)


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_sharded(results, name):
    outcome = results.get(name, "not run")
    if outcome != "ok":
        pytest.fail(f"{name}:\n{outcome}", pytrace=False)
