"""Arrays a traced function creates (np.zeros, np.array ...) take traced values written into them.

Every function runs in NumPy (the oracle) and traced; `tracer/numpy_api/created_arrays.py` and
`tracer/numpy_namespace.py` are what is tested. Host arrays that never meet traced data stay NumPy arrays
(shapes, int(...), Python `if`s on them work); outside tracing and in other threads nothing changes.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

X = np.arange(12, dtype=np.float32).reshape(3, 4) / 4 - 1
W = np.linspace(-1, 1, 20, dtype=np.float32).reshape(4, 5)
IDX = np.array([0, 2, 2, 1])


# -- writes of traced values into created arrays ---------------------------------------------------------

def rows_written_in_a_loop(x, w):
    out = np.zeros((x.shape[0], w.shape[1]), dtype=x.dtype)
    for i in range(x.shape[0]):
        out[i] = np.tanh(x[i] @ w)
    return out


def elements_written(x):
    out = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            out[i, j] = x[i, j] * 2 + 1
    return out


def each_creation_function(x):
    made = {"zeros": np.zeros(4), "ones": np.ones((4,), np.float32), "empty": np.empty(4), "full": np.full(4, 7.0),
            "arange": np.arange(4.0), "linspace": np.linspace(0, 1, 4), "array": np.array([1.0, 2, 3, 4]),
            "asarray": np.asarray([1.0, 2, 3, 4]), "zeros_like": np.zeros_like(np.ones(4)),
            "copy": np.copy(np.ones(4)), "concatenate": np.concatenate([np.ones(2), np.zeros(2)]),
            "eye": np.eye(4)[0], "identity": np.identity(4)[1]}
    for array in made.values():
        array[1:3] = x[0, :2]
    return {name: array[1:3] if name == "empty" else array for name, array in made.items()}


def in_place_operators(x, w):
    acc = np.zeros(4, np.float32)
    acc += x.sum(axis=0)
    acc *= x[1]
    acc -= 1
    acc /= 2
    square = np.eye(4, dtype=np.float32)
    square @= np.outer(x[0], x[1])
    return acc, square


def ufunc_out_and_copyto(x):
    buf = np.empty(4, np.float32)
    np.add(x[0], 1, out=buf)
    np.multiply(buf, x[1], out=buf)
    other = np.zeros((3, 4), np.float32)
    np.copyto(other, x)
    np.copyto(other, 0.5, where=x > 0)
    return buf, other


def ufunc_at(x):
    grad = np.zeros(5, np.float32)
    np.add.at(grad, IDX, x[0])  # repeated positions accumulate
    counts = np.zeros(5, np.int64)
    np.add.at(counts, (x[1] > 0).astype(np.int64), 1)  # traced positions
    return grad, counts


def methods_that_write(x):
    a = np.zeros(4, np.float32)
    a.fill(x[0, 0])
    b = np.zeros(4, np.float32)
    b[:] = x[2]
    b.sort()
    c = np.zeros(6)
    c.put([0, 5], x[0, :2])
    return a, b, c


def reads_then_writes(x):
    out = np.zeros(4, np.float32)
    before = out * x[0]  # a read: out stays a host array
    out[0] = x[0, 0]
    return before, out, out + 1, out.sum(), out.T, -out


def write_through_a_view_made_before(x):
    out = np.zeros((3, 4), np.float32)
    row, column = out[1], out[:, 2]
    row[:] = x[0]         # promotes out's memory through a view
    out[2, 1] = x[2, 3]   # ... which the view shows
    column += 1
    return out, row, column


def view_of_promoted_memory(x):
    out = np.zeros((3, 4), np.float32)
    out[0] = x[0]
    tail = out[1:]        # a view taken after promotion
    tail[:, 0] = x[1:, 0]
    flat = out.reshape(-1)
    flat[-1] = 100
    return out, tail, flat


def strided_and_transposed_views(x):
    out = np.zeros((4, 3), np.float32)
    evens, transposed = out[::2], out.T
    transposed[1] = x[0]
    evens[:, 0] = x[1, :2]
    return out, evens, transposed


def traced_index_reads_and_writes(x):
    k = (x[0, 0] > 0).astype(np.int64)  # traced 0 or 1
    out = np.arange(4.0)
    first = out[k]     # a view in NumPy: promotes
    out[k + 1] = -1.0  # written at a traced position
    return first, out


def host_values_stay_host_values(x):
    k = np.arange(4)
    mask = k % 2 == 0
    y = x * mask                      # a read of host arrays by traced code
    n = int(k[-1]) + int(mask.sum())  # still NumPy values
    if mask[0] and k.sum() > 3:       # Python control flow on them
        n += 1
    out = np.zeros(n)
    out[:4] = y[0]
    return out, y


def made_inside_control_flow(x):
    """A branch or loop body that makes an array and writes traced values into it returns that array (its
    traced value is read before the body's scope closes)."""
    def positive(v):
        out = np.zeros(4, v.dtype)
        out[1:3] = v[:2] * 2
        return out

    def negative(v):
        out = np.full(4, -1.0, v.dtype)
        out[0] = v.sum()
        return out

    def body(i, carry):
        step = np.zeros(4, carry.dtype)
        step[i] = carry[i] + 1  # a traced position
        return carry + step

    def empty_write(v):  # fuzz seed 1313, program 124: a write that changes no element
        out = np.copy(np.array([], np.float32))
        out[1:2] = v[0]
        return out

    return (tracer.cond(x[0, 0] > 0, positive, negative, x[0]), tracer.fori_loop(0, 3, body, x[1]),
            tracer.switch((x[2, 0] > 0).astype(np.int32), [empty_write, lambda v: v[:0] * 2], x[2]))


def host_only_calls_of_traced_functions(x):
    # Functions the tracer implements, given only host values while tracing, run as NumPy's own: NumPy's
    # percentile writes into arrays its inner calls make (fuzz seed 2525, program 2253).
    host = np.percentile(2.0, 0) + np.percentile(np.arange(5.0), [30, 70]).sum() + np.median([3.0, 1.0, 2.0])
    made = np.arange(6.0).reshape(2, 3)
    return x * host + np.quantile(made, 0.25, axis=1).sum() + np.percentile(np.float32(1.5), 50)


CASES = {name: Case(fn, args) for name, fn, args in [
    ("host-only calls of traced functions", host_only_calls_of_traced_functions, (X,)),
    ("rows written in a loop", rows_written_in_a_loop, (X, W)),
    ("elements written", elements_written, (X,)),
    ("each creation function", each_creation_function, (X,)),
    ("in-place operators", in_place_operators, (X, W)),
    ("ufunc out= and copyto", ufunc_out_and_copyto, (X,)),
    ("ufunc.at", ufunc_at, (X,)),
    ("methods that write", methods_that_write, (X,)),
    ("reads then writes", reads_then_writes, (X,)),
    ("view made before", write_through_a_view_made_before, (X,)),
    ("view of promoted memory", view_of_promoted_memory, (X,)),
    ("strided and transposed views", strided_and_transposed_views, (X,)),
    ("traced index", traced_index_reads_and_writes, (X,)),
    ("host values stay host values", host_values_stay_host_values, (X,)),
    ("made inside control flow", made_inside_control_flow, (X,)),
    ("made inside control flow, other branch", made_inside_control_flow, (-X,)),
]}


def test_created_arrays_take_traced_writes_as_numpy_does():
    check_cases(CASES)


def test_a_loop_of_traced_length_fills_a_created_buffer():
    @tracer.jit
    @tracer.trace
    def cumulative(x, n):
        out = np.zeros(4, np.float32)
        total = np.float32(0)
        for i in range(n):
            total = total + x[0, i]
            out[i] = total
        return out

    expected = np.concatenate([np.cumsum(X[0, :3]), [0]]).astype(np.float32)
    np.testing.assert_allclose(np.asarray(cumulative(X, np.int32(3))), expected)


def test_what_a_created_array_is_while_tracing():
    seen = {}

    def f(x):
        host = np.zeros(3)
        seen["host"] = (isinstance(host, np.ndarray), host.shape, int(host.size), repr(host))
        host[0] = x[0, 0]
        seen["promoted"] = (isinstance(host, np.ndarray), host.shape, repr(host))
        seen["asarray"] = type(np.asarray(host)).__name__
        return host

    tracer.jit(f)(X)
    assert seen["host"] == (True, (3,), 3, "array([0., 0., 0.])")
    assert seen["promoted"][:2] == (True, (3,)) and "TracedArray" in seen["promoted"][2]
    assert seen["asarray"] == "TracedArray"


# -- what must still raise -----------------------------------------------------------------------------------

def test_a_created_array_written_inside_a_traced_loop_body_it_was_not_made_in():
    def f(x):
        out = np.zeros(4, np.float32)

        def body(i, carry):
            out[0] = carry  # out-of-scope
            return carry + 1

        tracer.fori_loop(0, 3, body, x[0, 0])
        return out

    with pytest.raises(tracer.TracerError, match="made outside it") as info:
        tracer.jit(f)(X)
    assert "out-of-scope" in open(__file__).read().splitlines()[int(str(info.value).split(":")[1]) - 1]


def test_a_promoted_array_used_after_its_trace_finished():
    leaked = []

    def f(x):
        out = np.zeros(4, np.float32)
        out[:] = x[0]
        leaked.append(out)
        return x

    tracer.jit(f)(X)
    with pytest.raises(tracer.EscapedTracerError):
        tracer.jit(lambda x: x + leaked[0])(X)


def test_setting_the_shape_of_a_promoted_array_is_refused():
    def f(x):
        out = np.zeros(4, np.float32)
        out[:] = x[0]
        out.shape = (2, 2)
        return out

    with pytest.raises(tracer.UnsupportedNumPyError, match="reshape"):
        tracer.jit(f)(X)


def test_an_ndarray_method_the_tracer_lacks_names_the_line():
    def f(x):
        out = np.zeros(4, np.float32)
        out[:] = x[0]
        return out.tobytes()  # tobytes-line

    with pytest.raises(tracer.UnsupportedNumPyError, match="ndarray.tobytes") as info:
        tracer.jit(f)(X)
    assert "test_created_arrays.py" in str(info.value)


# -- nothing changes outside tracing, nor in other threads ---------------------------------------------------

def test_numpy_names_are_numpys_own_outside_tracing():
    originals = {name: getattr(np, name) for name in ("zeros", "array", "asarray", "sum", "mean", "concatenate")}
    inside = {}

    def f(x):
        inside.update({name: getattr(np, name) for name in originals})
        return x

    tracer.jit(f)(X)
    assert all(inside[name] is not originals[name] for name in originals)  # replaced while tracing
    assert all(getattr(np, name) is original for name, original in originals.items())
    assert type(np.zeros(2)) is np.ndarray and type(np.array([1, 2])) is np.ndarray


def test_other_threads_get_numpys_arrays_while_a_function_is_traced():
    tracing, checked = threading.Event(), threading.Event()
    other = {}

    def f(x):
        tracing.set()
        assert checked.wait(timeout=60)
        return x + np.zeros(4, np.float32)

    def elsewhere():
        assert tracing.wait(timeout=60)
        try:
            other["zeros"] = type(np.zeros(3))
            other["array"] = type(np.array([1.0, 2.0]))
            other["sum of a list"] = np.sum([np.ones(2), np.ones(2)])
        finally:
            checked.set()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    result = tracer.jit(f)(X)
    thread.join()
    assert other == {"zeros": np.ndarray, "array": np.ndarray, "sum of a list": 4.0}
    np.testing.assert_allclose(np.asarray(result), X)


def test_gradients_flow_through_a_created_buffer():
    def loss(w, x):
        hidden = np.zeros((x.shape[0], w.shape[1]))
        for i in range(x.shape[0]):
            hidden[i] = np.tanh(x[i] @ w)
        return (hidden ** 2).sum()

    w, x = W.astype(np.float64), X.astype(np.float64)
    grad = np.asarray(tracer.jit(tracer.grad(loss))(w, x))
    h = np.tanh(x @ w)
    np.testing.assert_allclose(grad, x.T @ (2 * h * (1 - h ** 2)), rtol=1e-10)
