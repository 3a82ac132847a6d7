"""Values against numpy formulas (tests/reference.py): forward, derivative and backward of every
activation, at its defaults and with other parameters, in float32 and float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference import CASES, REFERENCE

import leaky

NAMES = [entry["name"] for entry in leaky.catalogue()]
DTYPES = [np.float32, np.float64]

# The kinks of every piecewise function, where the conventions for f' show.
KINKS = [-6, -3, -2, -1, -0.5, 0, 0.5, 1, 3, 6, 20]


def inputs(dtype) -> np.ndarray:
    return np.concatenate([np.linspace(-8, 8, 1601), KINKS]).astype(dtype)


def tolerance(dtype) -> dict:
    # float32: a few units in the last place; float64: far tighter than any formula error here.
    if dtype == np.float32:
        return {"rtol": 4e-6, "atol": 1e-6}
    return {"rtol": 1e-10, "atol": 1e-13}


def all_cases():
    """(name, keyword arguments for leaky, keyword arguments for the reference)."""
    cases = [(name, {}, {}) for name in NAMES]
    cases += CASES
    return [pytest.param(*case, id=f"{case[0]}{case[1] or ''}") for case in cases]


def test_the_reference_covers_the_catalogue():
    assert sorted(REFERENCE) == sorted(NAMES)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "params", "ref_params"), all_cases())
def test_forward_matches_the_formula(name, params, ref_params, dtype):
    x = inputs(dtype)
    y = getattr(leaky, name)(x, **params)
    assert y.dtype == dtype and y.shape == x.shape
    expected = REFERENCE[name][0](x.astype(np.float64), **ref_params)
    np.testing.assert_allclose(y, expected, **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "params", "ref_params"), all_cases())
def test_derivative_matches_the_formula(name, params, ref_params, dtype):
    x = inputs(dtype)
    act = leaky.Activation(name, **params)
    dy = act.derivative(x)
    assert dy.dtype == dtype
    expected = REFERENCE[name][1](x.astype(np.float64), **ref_params)
    np.testing.assert_allclose(dy, expected, **tolerance(dtype))
    np.testing.assert_array_equal(leaky.derivative(str(act), x), dy)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(("name", "params", "ref_params"), all_cases())
def test_backward_is_grad_times_the_derivative(name, params, ref_params, dtype):
    x = inputs(dtype)
    grad = np.random.default_rng(7).uniform(-2, 2, x.shape).astype(dtype)
    gx = getattr(leaky, f"{name}_backward")(grad, x, **params)
    assert gx.dtype == dtype
    expected = grad.astype(np.float64) * REFERENCE[name][1](x.astype(np.float64), **ref_params)
    np.testing.assert_allclose(gx, expected, **tolerance(dtype))
    act = leaky.Activation(name, **params)
    np.testing.assert_array_equal(act.backward(grad, x), gx)
    np.testing.assert_array_equal(leaky.backward(act, grad, x), gx)
    np.testing.assert_array_equal(leaky.backward(str(act), grad, x), gx)


FROM_OUTPUT = [
    "leaky_relu", "relu", "sigmoid", "tanh", "prelu", "rrelu", "elu", "selu", "celu",
    "softsign", "hardtanh", "relu6", "hardsigmoid",
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_backward_from_output_agrees_with_backward(name, dtype):
    rng = np.random.default_rng(11)
    x = rng.uniform(-8, 8, 4000).astype(dtype)
    grad = rng.uniform(-2, 2, x.shape).astype(dtype)
    act = leaky.Activation(name)
    y = act.forward(x)
    if name not in FROM_OUTPUT:
        with pytest.raises(ValueError, match="cannot be told from its output"):
            act.backward_from_output(grad, y)
        return
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-8, "atol": 1e-12}
    np.testing.assert_allclose(act.backward_from_output(grad, y), act.backward(grad, x), **tol)
    np.testing.assert_array_equal(
        leaky.backward_from_output(name, grad, y), act.backward_from_output(grad, y)
    )


def test_backward_from_output_refuses_a_negative_slope():
    with pytest.raises(ValueError, match="needs a slope >= 0"):
        leaky.backward_from_output("leaky_relu:alpha=-0.1", np.ones(3), np.ones(3))


class TestEdges:
    """PyTorch's semantics at 0, -0, NaN and the infinities, for Python floats and arrays."""

    def test_leaky_relu_keeps_the_sign_of_zero_and_nan(self):
        y = leaky.leaky_relu(np.array([-0.0, 0.0, np.nan, np.inf, -np.inf]))
        assert math.copysign(1, y[0]) == -1 and math.copysign(1, y[1]) == 1
        assert math.isnan(y[2]) and y[3] == math.inf and y[4] == -math.inf

    def test_relu_of_minus_zero_is_plus_zero(self):
        assert math.copysign(1, leaky.relu(-0.0)) == 1

    def test_the_derivative_at_the_kink_is_pytorchs(self):
        assert leaky.Activation("leaky_relu:alpha=0.2").derivative(0.0) == 0.2
        assert leaky.derivative("relu", 0.0) == 0.0
        assert leaky.derivative("leaky_relu", math.nan) == 0.01

    def test_backward_of_a_flat_piece_is_a_select(self):
        assert leaky.relu_backward(math.inf, -1.0) == 0.0
        assert leaky.relu_backward(math.nan, -1.0) == 0.0
        assert leaky.leaky_relu_backward(2.0, math.nan, 0.5) == 1.0

    def test_the_article_form_differs_above_one(self):
        # max(alpha*x, x) is LeakyReLU only for 0 <= alpha <= 1.
        assert leaky.leaky_relu(-1.0, negative_slope=2.0) == -2.0
        assert max(2.0 * -1.0, -1.0) == -1.0
