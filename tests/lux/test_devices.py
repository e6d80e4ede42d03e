"""lux.devices: `reactant_device()` / `cpu_device()` move whole pytrees and back unchanged, and
`DeviceIterator` hands out device batches moved ahead on a background thread, raises what the iterable
raises, and stops its thread when the consumer stops early."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import lux
import runtime


def _tree():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)).astype(np.float32), "b": np.arange(4, dtype=np.int32),
            "nested": [np.float64(2.5), (np.ones((2,), np.bool_), "label")], "flag": True}


def _iterator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lux.DeviceIterator"]


def _wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# -- reactant_device / cpu_device ----------------------------------------------------------------------


def test_reactant_device_moves_every_array_leaf_and_keeps_the_rest():
    tree = _tree()
    on_device = lux.reactant_device()(tree)
    assert isinstance(on_device["w"], runtime.ConcreteArray)
    assert isinstance(on_device["b"], runtime.ConcreteArray)
    assert isinstance(on_device["nested"][0], runtime.ConcreteArray)  # a NumPy scalar is an array too
    assert on_device["nested"][1][1] == "label" and on_device["flag"] is True
    assert on_device["w"].device == runtime.default_device()


def test_cpu_device_brings_back_numpy_arrays_equal_to_the_originals():
    tree = _tree()
    back = lux.cpu_device()(lux.reactant_device()(tree))
    assert isinstance(back["w"], np.ndarray) and isinstance(back["b"], np.ndarray)
    np.testing.assert_array_equal(back["w"], tree["w"])
    assert back["w"].dtype == np.float32 and back["b"].dtype == np.int32
    np.testing.assert_array_equal(back["b"], tree["b"])
    assert float(back["nested"][0]) == 2.5
    np.testing.assert_array_equal(back["nested"][1][0], tree["nested"][1][0])
    assert back["nested"][1][1] == "label" and back["flag"] is True


def test_device_movers_round_trip_lux_setup_trees():
    model = lux.Chain(lux.Dense(3, 5, lux.relu), lux.BatchNorm(5), lux.Dense(5, 2))
    ps, st = lux.setup(np.random.default_rng(1), model)
    ps_dev, st_dev = lux.reactant_device()((ps, st))
    ps_back, st_back = lux.cpu_device()((ps_dev, st_dev))
    for got, want in ((ps_back, ps), (st_back, st)):
        assert got.keys() == want.keys()
    np.testing.assert_array_equal(ps_back["layer_1"]["weight"], ps["layer_1"]["weight"])
    np.testing.assert_array_equal(st_back["layer_2"]["running_var"], st["layer_2"]["running_var"])
    assert st_back["layer_2"]["training"] is True


def test_device_movers_say_what_they_are():
    assert repr(lux.cpu_device()) == "CPUDevice()"
    assert repr(lux.reactant_device()).startswith("ReactantDevice(")


# -- DeviceIterator ------------------------------------------------------------------------------------


def test_device_iterator_yields_the_batches_on_the_device_in_order():
    rng = np.random.default_rng(2)
    batches = [(rng.standard_normal((4, 2)).astype(np.float32), np.full((4,), i, np.int32)) for i in range(5)]
    seen = list(lux.DeviceIterator(lux.reactant_device(), batches))
    assert len(seen) == 5
    for (x, y), (x_expected, y_expected) in zip(seen, batches):
        assert isinstance(x, runtime.ConcreteArray) and isinstance(y, runtime.ConcreteArray)
        np.testing.assert_array_equal(np.asarray(x), x_expected)
        np.testing.assert_array_equal(np.asarray(y), y_expected)
    assert len(lux.DeviceIterator(lux.reactant_device(), batches)) == 5


def test_device_iterator_passes_again_over_a_list():
    batches = [np.full((2,), i, np.float32) for i in range(3)]
    loader = lux.DeviceIterator(lux.reactant_device(), batches)
    for _ in range(2):  # an epoch loop iterates the same loader every epoch
        assert [float(np.asarray(b)[0]) for b in loader] == [0.0, 1.0, 2.0]


def test_device_iterator_moves_the_next_batch_on_a_background_thread_while_the_caller_works():
    moved_on, moved = [], threading.Event()
    device = lux.reactant_device()

    def mover(batch):
        moved_on.append(threading.current_thread().name)
        if len(moved_on) == 2:
            moved.set()
        return device(batch)

    batches = [np.full((2,), i, np.float32) for i in range(3)]
    iterator = iter(lux.DeviceIterator(mover, batches))
    first = next(iterator)
    # The caller now "works" on the first batch; the second is moved meanwhile, without being asked for.
    assert moved.wait(5), "the next batch was not moved while the caller held the first"
    assert float(np.asarray(first)[0]) == 0.0
    assert [float(np.asarray(b)[0]) for b in iterator] == [1.0, 2.0]
    assert set(moved_on) == {"lux.DeviceIterator"}  # never the caller's thread


def test_device_iterator_raises_the_iterables_exception_after_the_items_before_it():
    def batches():
        yield np.zeros(2, np.float32)
        yield np.ones(2, np.float32)
        raise ValueError("corrupt record 3")

    seen = []
    with pytest.raises(ValueError, match="corrupt record 3"):
        for batch in lux.DeviceIterator(lux.reactant_device(), batches()):
            seen.append(float(np.asarray(batch)[0]))
    assert seen == [0.0, 1.0]
    assert _wait_until(lambda: not _iterator_threads())


def test_device_iterator_raises_an_exception_of_the_move():
    def mover(batch):
        if batch == 1:
            raise RuntimeError("device out of memory")
        return batch

    with pytest.raises(RuntimeError, match="device out of memory"):
        list(lux.DeviceIterator(mover, [0, 1, 2]))


def test_device_iterator_stops_its_thread_when_the_consumer_breaks_early():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield np.full((2,), i, np.float32)
            i += 1

    assert _wait_until(lambda: not _iterator_threads())  # (none left over from an earlier test)
    for batch in lux.DeviceIterator(lux.reactant_device(), endless()):
        if float(np.asarray(batch)[0]) == 2.0:
            break
    # The producer was blocked on the full queue (one batch ahead): it must notice and exit.
    assert _wait_until(lambda: not _iterator_threads()), "the DeviceIterator's thread is still running"
    assert len(produced) <= 5  # it stopped drawing from the iterable


def test_device_iterator_stops_its_thread_when_the_loop_body_raises():
    with pytest.raises(KeyError):
        for _ in lux.DeviceIterator(lux.reactant_device(), [np.zeros(1, np.float32)] * 10):
            raise KeyError("in the training step")
    assert _wait_until(lambda: not _iterator_threads())


def test_device_iterator_abandoned_mid_epoch_stops_its_thread():
    iterator = iter(lux.DeviceIterator(lux.reactant_device(), [np.zeros(1, np.float32)] * 10))
    next(iterator)
    assert _wait_until(lambda: len(_iterator_threads()) == 1)
    iterator.close()  # what dropping the last reference to the generator does
    assert _wait_until(lambda: not _iterator_threads())
