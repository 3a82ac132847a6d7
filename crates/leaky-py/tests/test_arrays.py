"""Inputs and outputs: shapes, strides, dtypes, scalars and lists, `out=` and in-place, overlap,
alignment, byte order, large arrays without the GIL."""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import leaky

DTYPES = [np.float32, np.float64]


def reference(x, alpha=0.01):
    """LeakyReLU in the input's dtype, as the core computes it."""
    x = np.asarray(x)
    return np.where(x > 0, x, x * x.dtype.type(alpha))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (3, 4), (2, 3, 4, 5), (0, 3), (4, 0, 2)])
def test_shape_and_dtype_are_kept(shape, dtype):
    x = np.random.default_rng(1).normal(size=shape).astype(dtype)
    y = leaky.leaky_relu(x)
    assert isinstance(y, np.ndarray)
    assert y.shape == shape and y.dtype == dtype
    np.testing.assert_array_equal(y, reference(x))
    grad = leaky.leaky_relu_backward(np.ones_like(x), x)
    assert grad.shape == shape and grad.dtype == dtype


def views(dtype):
    base = np.random.default_rng(2).normal(size=(6, 8)).astype(dtype)
    return {
        "every other": base[:, ::2],
        "reversed": base[::-1],
        "reversed columns": base[:, ::-1],
        "transposed": base.T,
        "column": base[:, 3],
        "block": base[1:5, 2:7],
        "broadcast": np.broadcast_to(base[0], (5, 8)),
        "fortran 3-d": np.asfortranarray(base.reshape(2, 3, 8)),
        "swapped axes": base.reshape(2, 3, 8).swapaxes(0, 2),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("view", list(views(np.float32)))
def test_any_strides(view, dtype):
    x = views(dtype)[view]
    expected = reference(np.ascontiguousarray(x))
    y = leaky.leaky_relu(x)
    assert y.shape == x.shape and y.dtype == dtype
    np.testing.assert_array_equal(y, expected)
    grad = np.full(x.shape, 2.0, dtype)
    np.testing.assert_array_equal(
        leaky.leaky_relu_backward(grad, x), np.where(x > 0, grad, grad * dtype(0.01))
    )
    # The strided array as the gradient, too.
    np.testing.assert_array_equal(leaky.leaky_relu_backward(x, np.ones(x.shape, dtype)), x)


def test_a_fortran_input_gives_a_fortran_result():
    x = np.asfortranarray(np.arange(-6.0, 6.0).reshape(3, 4))
    y = leaky.leaky_relu(x)
    assert y.flags.f_contiguous
    np.testing.assert_array_equal(y, reference(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_unaligned_and_byte_swapped_inputs(dtype):
    values = np.linspace(-3, 3, 25).astype(dtype)
    raw = np.zeros(values.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(dtype)
    unaligned[:] = values
    assert not unaligned.flags.aligned
    np.testing.assert_array_equal(leaky.leaky_relu(unaligned), reference(values))
    other = np.zeros(values.nbytes + 1, np.uint8)[1:].view(dtype)
    leaky.leaky_relu(values, out=other)
    np.testing.assert_array_equal(other, reference(values))
    leaky.leaky_relu(unaligned, out=unaligned)
    np.testing.assert_array_equal(unaligned, reference(values))
    swapped = values.astype(values.dtype.newbyteorder())
    y = leaky.leaky_relu(swapped)
    assert y.dtype == dtype and y.dtype.isnative
    np.testing.assert_array_equal(y, reference(values))


def test_python_numbers_give_python_floats():
    assert leaky.leaky_relu(-2.0) == -0.02 and type(leaky.leaky_relu(-2.0)) is float
    assert leaky.leaky_relu(-2) == -0.02 and type(leaky.leaky_relu(-2)) is float
    assert leaky.relu(True) == 1.0
    assert type(leaky.leaky_relu_backward(1.0, -2.0)) is float


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_scalars_give_numpy_scalars(dtype):
    y = leaky.leaky_relu(dtype(-2.0))
    assert type(y) is dtype and y == reference(dtype(-2.0))
    g = leaky.leaky_relu_backward(dtype(1.0), dtype(-2.0))
    assert type(g) is dtype and g == dtype(0.01)
    # A Python float gradient takes the dtype of the numpy scalar.
    assert type(leaky.leaky_relu_backward(1.0, dtype(-2.0))) is dtype


def test_lists_and_zero_dim_arrays():
    y = leaky.leaky_relu([[-1.0, 2.0], [3.0, -4.0]])
    assert isinstance(y, np.ndarray) and y.dtype == np.float64 and y.shape == (2, 2)
    np.testing.assert_array_equal(y, [[-0.01, 2.0], [3.0, -0.04]])
    assert leaky.leaky_relu((1.0, -1.0)).tolist() == [1.0, -0.01]
    zero_dim = leaky.leaky_relu(np.array(-3.0, np.float32))
    assert (
        isinstance(zero_dim, np.ndarray) and zero_dim.shape == () and zero_dim.dtype == np.float32
    )
    assert leaky.leaky_relu([]).shape == (0,)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64, np.bool_])
def test_integer_and_boolean_arrays_compute_in_float64(dtype):
    x = np.array([0, 1, 2, 3], dtype=dtype)
    y = leaky.leaky_relu(x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, x.astype(np.float64))
    assert leaky.leaky_relu([-1, 2]).tolist() == [-0.01, 2.0]


@pytest.mark.parametrize(
    "x",
    [
        np.zeros(3, np.complex128),
        np.zeros(3, np.longdouble) if np.dtype(np.longdouble).itemsize > 8 else "skip",
        np.array(["a", "b"]),
        np.array([object(), object()]),
        np.zeros(3, "datetime64[s]"),
        ["a", "b"],
    ],
    ids=["complex128", "longdouble", "str", "object", "datetime", "list of str"],
)
def test_other_dtypes_are_a_type_error(x):
    if isinstance(x, str):
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(TypeError, match="unsupported dtype"):
        leaky.leaky_relu(x)


def test_objects_numpy_cannot_read_are_a_type_error():
    with pytest.raises(TypeError):
        leaky.leaky_relu({"a": 1})
    with pytest.raises(TypeError):
        leaky.leaky_relu(None)
    with pytest.raises(TypeError, match="spec string"):
        leaky.forward(3, [1.0])


class TestOut:
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_writes_and_returns_out(self, dtype):
        x = np.linspace(-2, 2, 11).astype(dtype)
        out = np.empty_like(x)
        assert leaky.leaky_relu(x, out=out) is out
        np.testing.assert_array_equal(out, reference(x))

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_out_is_x_computes_in_place(self, dtype):
        x = np.linspace(-2, 2, 11).astype(dtype)
        expected = reference(x)
        assert leaky.leaky_relu(x, out=x) is x
        np.testing.assert_array_equal(x, expected)
        act = leaky.Activation("tanh")
        expected = act.forward(x)
        assert act.forward(x, out=x) is x
        np.testing.assert_array_equal(x, expected)

    def test_in_place_on_a_strided_view(self):
        base = np.linspace(-2, 2, 20)
        view = base[::2]
        untouched = base[1::2].copy()
        expected = reference(view)
        leaky.leaky_relu(view, out=view)
        np.testing.assert_array_equal(base[::2], expected)
        np.testing.assert_array_equal(base[1::2], untouched)

    def test_strided_out(self):
        x = np.linspace(-2, 2, 10)
        out = np.zeros((10, 2))[:, 0]
        leaky.leaky_relu(x, out=out)
        np.testing.assert_array_equal(out, reference(x))

    def test_out_of_another_order(self):
        x = np.arange(-6.0, 6.0).reshape(3, 4)
        out = np.zeros((3, 4), order="F")
        leaky.leaky_relu(x, out=out)
        np.testing.assert_array_equal(out, reference(x))

    @pytest.mark.parametrize("shift", [1, -1, 3])
    def test_out_overlapping_the_input(self, shift):
        base = np.linspace(-2, 2, 21)
        n = len(base) - abs(shift)
        x = base[max(shift, 0) : max(shift, 0) + n]
        out = base[max(-shift, 0) : max(-shift, 0) + n]
        expected = reference(x.copy())
        leaky.leaky_relu(x, out=out)
        np.testing.assert_array_equal(out, expected)

    def test_out_reversed_over_the_input(self):
        x = np.linspace(-2, 2, 9)
        expected = reference(x)[::-1]
        leaky.leaky_relu(x, out=x[::-1])
        np.testing.assert_array_equal(x, expected)

    def test_backward_into_the_gradient(self):
        x = np.linspace(-2, 2, 9)
        grad = np.full(9, 3.0)
        expected = np.where(x > 0, 3.0, 0.03)
        assert leaky.leaky_relu_backward(grad, x, out=grad) is grad
        np.testing.assert_array_equal(grad, expected)

    def test_backward_into_the_input(self):
        x = np.linspace(-2, 2, 9)
        grad = np.full(9, 3.0)
        expected = np.where(x > 0, 3.0, 0.03)
        leaky.leaky_relu_backward(grad, x, out=x)
        np.testing.assert_array_equal(x, expected)

    def test_derivative_into_out(self):
        x = np.linspace(-2, 2, 9, dtype=np.float32)
        out = np.empty_like(x)
        assert leaky.derivative("relu", x, out=out) is out
        np.testing.assert_array_equal(out, (x > 0).astype(np.float32))

    def test_list_input_into_out(self):
        out = np.empty(2)
        assert leaky.leaky_relu([-1.0, 1.0], out=out) is out
        assert out.tolist() == [-0.01, 1.0]

    def test_wrong_dtype(self):
        with pytest.raises(
            TypeError, match="out has dtype float64 but the result has dtype float32"
        ):
            leaky.leaky_relu(np.ones(3, np.float32), out=np.ones(3))

    def test_wrong_shape(self):
        with pytest.raises(
            ValueError, match=r"out has shape \(3, 1\) but the input has shape \(3,\)"
        ):
            leaky.leaky_relu(np.ones(3), out=np.ones((3, 1)))

    def test_read_only(self):
        out = np.ones(3)
        out.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            leaky.leaky_relu(np.ones(3), out=out)
        x = np.ones(3)
        x.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            leaky.leaky_relu(x, out=x)

    def test_not_an_array(self):
        with pytest.raises(TypeError, match="out must be a numpy array, not list"):
            leaky.leaky_relu(np.ones(3), out=[0.0, 0.0, 0.0])


class TestBackwardOperands:
    def test_dtypes_must_agree(self):
        with pytest.raises(TypeError, match="grad has dtype float64 but x has dtype float32"):
            leaky.leaky_relu_backward(np.ones(3), np.ones(3, np.float32))

    def test_a_list_gradient_takes_the_arrays_dtype(self):
        g = leaky.leaky_relu_backward([1.0, 1.0], np.array([-1.0, 1.0], np.float32))
        assert g.dtype == np.float32 and g.tolist() == [np.float32(0.01), 1.0]

    def test_shapes_must_agree(self):
        with pytest.raises(ValueError, match=r"grad has shape \(2,\) but x has shape \(3,\)"):
            leaky.leaky_relu_backward(np.ones(2), np.ones(3))
        with pytest.raises(ValueError, match=r"grad has shape \(3,\) but y has shape \(3, 1\)"):
            leaky.backward_from_output("relu", np.ones(3), np.ones((3, 1)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_arrays(dtype):
    n = 3 * leaky._leaky.DETACH_MIN_ELEMENTS + 5
    x = np.random.default_rng(3).normal(size=n).astype(dtype)
    np.testing.assert_array_equal(leaky.leaky_relu(x), reference(x))
    np.testing.assert_array_equal(leaky.leaky_relu(x[::3]), reference(x[::3]))
    grad = np.ones_like(x)
    np.testing.assert_array_equal(
        leaky.leaky_relu_backward(grad, x), np.where(x > 0, 1, dtype(0.01))
    )


def test_threads_share_the_work():
    x = np.random.default_rng(4).normal(size=(8, 1 << 16)).astype(np.float32)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(leaky.sigmoid, x))
    for row, y in zip(x, results):
        np.testing.assert_array_equal(y, leaky.sigmoid(row))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_computes_after_its_parent_used_the_threads():
    # A forked child inherits rayon's pool without its threads: a call there that waited for
    # them would hang. The child must compute (on one thread) and exit within the timeout.
    x = np.linspace(-2, 2, 1 << 22, dtype=np.float32)
    want = float(leaky.leaky_relu(x).sum(dtype=np.float64))
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() may lead to deadlocks"
        pid = os.fork()
    if pid == 0:  # the child: compute, report, and leave without running pytest's cleanup
        try:
            got = float(leaky.leaky_relu(x).sum(dtype=np.float64))
            os.write(write, repr(got).encode())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child did not finish its call within 60 s")
        time.sleep(0.01)
    with os.fdopen(read) as pipe:
        assert float(pipe.read()) == want


def test_the_gil_is_released_on_large_arrays():
    # While one thread computes on a large array, another keeps running Python code. With the
    # GIL held for the whole call the counter could not move until the call returned.
    x = np.linspace(-8, 8, 1 << 22)
    started = threading.Event()
    done = threading.Event()

    def work():
        started.set()
        for _ in range(3):
            leaky.derivative("gelu", x)
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    started.wait()
    count = 0
    while not done.is_set():
        count += 1
    thread.join()
    assert count > 1000
