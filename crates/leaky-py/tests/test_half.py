"""The 16-bit dtypes: numpy float16, and ml_dtypes.bfloat16 when ml_dtypes is installed. Every
result is the float32 result on the same values, rounded once to the 16-bit dtype (numpy's and
ml_dtypes' own conversions, which round to nearest even), over all 65,536 bit patterns; in place,
into ``out=``, and the errors for mismatched dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import leaky

NAMES = [entry["name"] for entry in leaky.catalogue()]
OTHER_PARAMS = [
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2.0, "threshold": 3.7}),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("threshold", {"threshold": 0.5, "value": -2.0}),
]
CASES = [pytest.param(name, {}, id=name) for name in NAMES] + [
    pytest.param(name, params, id=f"{name}{params}") for name, params in OTHER_PARAMS
]


def bfloat16():
    return pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes").bfloat16


def dtype_of(kind: str):
    return np.dtype(np.float16) if kind == "float16" else np.dtype(bfloat16())


DTYPES = ["float16", "bfloat16"]


def every_value(dtype) -> np.ndarray:
    """All 65,536 bit patterns of a 16-bit dtype."""
    return np.arange(1 << 16, dtype=np.uint16).view(dtype)


def assert_rounded(got: np.ndarray, want32: np.ndarray, dtype, what: str) -> None:
    """``got`` is ``want32`` rounded to ``dtype``, bit for bit; NaN where it is NaN."""
    assert got.dtype == dtype, what
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and overflow to inf, as in leaky
        want = want32.astype(dtype)
    nan = np.isnan(want32)
    np.testing.assert_array_equal(np.isnan(got.astype(np.float32)), nan, err_msg=what)
    bad = np.flatnonzero(got.view(np.uint16)[~nan] != want.view(np.uint16)[~nan])
    assert bad.size == 0, f"{what}: {bad.size} results differ, first {got[~nan][bad[0]]!r} vs {want[~nan][bad[0]]!r}"


@pytest.mark.parametrize("kind", DTYPES)
@pytest.mark.parametrize(("name", "params"), CASES)
def test_forward_is_the_float32_result_rounded(name, params, kind):
    dtype = dtype_of(kind)
    f = getattr(leaky, name)
    x = every_value(dtype)
    want = f(x.astype(np.float32), **params)
    assert_rounded(f(x, **params), want, dtype, f"{name} forward")
    inplace = x.copy()
    assert f(inplace, **params, out=inplace) is inplace
    assert_rounded(inplace, want, dtype, f"{name} in place")
    out = np.empty_like(x)
    assert f(x, **params, out=out) is out
    assert_rounded(out, want, dtype, f"{name} out=")


@pytest.mark.parametrize("kind", DTYPES)
@pytest.mark.parametrize(("name", "params"), CASES)
def test_backward_is_the_float32_result_rounded(name, params, kind):
    dtype = dtype_of(kind)
    backward = getattr(leaky, f"{name}_backward")
    x = every_value(dtype)
    # Every bit pattern again, in another order, as the gradient.
    grad = (np.arange(1 << 16, dtype=np.uint32) * 40503 % (1 << 16)).astype(np.uint16).view(dtype)
    want = backward(grad.astype(np.float32), x.astype(np.float32), **params)
    assert_rounded(backward(grad, x, **params), want, dtype, f"{name} backward")


@pytest.mark.parametrize("kind", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu"])
def test_backward_from_output_and_derivative(name, kind):
    dtype = dtype_of(kind)
    y = every_value(dtype)
    grad = np.full_like(y, 0.75)
    want = leaky.backward_from_output(name, grad.astype(np.float32), y.astype(np.float32))
    assert_rounded(leaky.backward_from_output(name, grad, y), want, dtype, f"{name} from output")
    want = leaky.derivative(name, y.astype(np.float32))
    assert_rounded(leaky.derivative(name, y), want, dtype, f"{name} derivative")


@pytest.mark.parametrize("kind", DTYPES)
def test_nan_stays_nan_and_infinities_behave_as_in_float32(kind):
    dtype = dtype_of(kind)
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    for name in NAMES:
        y = getattr(leaky, name)(x)
        assert np.isnan(y[:2].astype(np.float32)).all(), name
        want = getattr(leaky, name)(x.astype(np.float32))
        assert_rounded(y, want, dtype, name)


@pytest.mark.parametrize("kind", DTYPES)
def test_scalars_and_shapes_keep_the_dtype(kind):
    dtype = dtype_of(kind)
    y = leaky.sigmoid(dtype.type(0.5))
    assert isinstance(y, dtype.type)
    x = np.linspace(-3, 3, 24, dtype=np.float32).astype(dtype).reshape(2, 3, 4)[:, ::-1, :].T
    y = leaky.gelu(x)
    assert y.dtype == dtype and y.shape == x.shape
    assert_rounded(y, leaky.gelu(x.astype(np.float32)), dtype, "strided")


@pytest.mark.parametrize("kind", DTYPES)
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64, "other16"])
def test_out_of_another_dtype_is_a_type_error_naming_both(kind, out_dtype):
    dtype = dtype_of(kind)
    if out_dtype == "other16":
        out_dtype = dtype_of("bfloat16" if kind == "float16" else "float16")
    out_name = np.dtype(out_dtype).name if np.dtype(out_dtype).kind == "f" else "bfloat16"
    x = np.ones(3, dtype)
    out = np.zeros(3, out_dtype)
    message = f"out has dtype {out_name} but the result has dtype {kind}"
    with pytest.raises(TypeError, match=message):
        leaky.leaky_relu(x, out=out)
    with pytest.raises(TypeError, match=message):
        leaky.leaky_relu_backward(x, x, out=out)
    assert (out == 0).all()


@pytest.mark.parametrize("kind", DTYPES)
def test_grad_of_another_dtype_is_a_type_error(kind):
    dtype = dtype_of(kind)
    with pytest.raises(TypeError, match=f"grad has dtype float32 but x has dtype {kind}"):
        leaky.relu_backward(np.ones(3, np.float32), np.ones(3, dtype))
