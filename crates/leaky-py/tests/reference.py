"""Every activation and its derivative written with numpy, in float64, from the formulas in the
core's catalogue (and PyTorch's documentation): the oracle for tests/test_values.py.

Formulas are the textbook ones, rearranged only where float64 would lose accuracy on [-8, 8]
(derivatives of sigmoid and tanh, log-sigmoid). Kinks follow PyTorch: f'(0) of LeakyReLU is alpha,
of ReLU 0; clamps and shrinks have derivative 0 at their edges.
"""

from __future__ import annotations

import math

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_d(x):
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def softplus_raw(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def phi(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def cdf(x):
    return 0.5 * (1 + _erf(x / math.sqrt(2)))


K = math.sqrt(2 / math.pi)
C = 0.044715


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(K * (x + C * x**3)))


def gelu_tanh_d(x):
    t = np.tanh(K * (x + C * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * C * x * x)


def mish_d(x):
    sp = softplus_raw(x)
    t = np.tanh(sp)
    return t + x * sigmoid(x) / np.cosh(sp) ** 2


def where(cond, a, b):
    return np.where(cond, a, b).astype(np.float64)


# name -> (f(x, **params), f'(x, **params)), with the core's canonical parameter names.
REFERENCE = {
    "leaky_relu": (
        lambda x, alpha=0.01: where(x > 0, x, alpha * x),
        lambda x, alpha=0.01: where(x > 0, 1.0, alpha),
    ),
    "relu": (lambda x: where(x > 0, x, 0.0), lambda x: where(x > 0, 1.0, 0.0)),
    "sigmoid": (sigmoid, sigmoid_d),
    "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    "prelu": (
        lambda x, weight=0.25: where(x > 0, x, weight * x),
        lambda x, weight=0.25: where(x > 0, 1.0, weight),
    ),
    "rrelu": (
        lambda x, lower=1 / 8, upper=1 / 3: where(x > 0, x, (lower + upper) / 2 * x),
        lambda x, lower=1 / 8, upper=1 / 3: where(x > 0, 1.0, (lower + upper) / 2),
    ),
    "elu": (
        lambda x, alpha=1.0: where(x > 0, x, alpha * np.expm1(x)),
        lambda x, alpha=1.0: where(x > 0, 1.0, alpha * np.exp(x)),
    ),
    "selu": (
        lambda x: SELU_SCALE * where(x > 0, x, SELU_ALPHA * np.expm1(x)),
        lambda x: SELU_SCALE * where(x > 0, 1.0, SELU_ALPHA * np.exp(x)),
    ),
    "celu": (
        lambda x, alpha=1.0: where(x > 0, x, alpha * np.expm1(x / alpha)),
        lambda x, alpha=1.0: where(x > 0, 1.0, np.exp(x / alpha)),
    ),
    "gelu": (
        lambda x, approximate="none": x * cdf(x) if approximate == "none" else gelu_tanh(x),
        lambda x, approximate="none": (
            cdf(x) + x * phi(x) if approximate == "none" else gelu_tanh_d(x)
        ),
    ),
    "silu": (
        lambda x: x * sigmoid(x),
        lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x))),
    ),
    "mish": (lambda x: x * np.tanh(softplus_raw(x)), mish_d),
    "softplus": (
        lambda x, beta=1.0, threshold=20.0: where(
            beta * x > threshold, x, softplus_raw(beta * x) / beta
        ),
        lambda x, beta=1.0, threshold=20.0: where(beta * x > threshold, 1.0, sigmoid(beta * x)),
    ),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "hardtanh": (
        lambda x, min=-1.0, max=1.0: np.clip(x, min, max),
        lambda x, min=-1.0, max=1.0: where((x > min) & (x < max), 1.0, 0.0),
    ),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: where((x > 0) & (x < 6), 1.0, 0.0)),
    "hardsigmoid": (
        lambda x: np.clip(x + 3, 0, 6) / 6,
        lambda x: where((x > -3) & (x < 3), 1 / 6, 0.0),
    ),
    "hardswish": (
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
        lambda x: where(x <= -3, 0.0, where(x >= 3, 1.0, x / 3 + 0.5)),
    ),
    "logsigmoid": (
        lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))),
        lambda x: 1 - sigmoid(x),
    ),
    "tanhshrink": (lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2),
    "softshrink": (
        lambda x, lambd=0.5: where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0.0)),
        lambda x, lambd=0.5: where(np.abs(x) <= lambd, 0.0, 1.0),
    ),
    "hardshrink": (
        lambda x, lambd=0.5: where(np.abs(x) <= lambd, 0.0, x),
        lambda x, lambd=0.5: where(np.abs(x) <= lambd, 0.0, 1.0),
    ),
    "threshold": (
        lambda x, threshold=0.0, value=0.0: where(x <= threshold, value, x),
        lambda x, threshold=0.0, value=0.0: where(x <= threshold, 0.0, 1.0),
    ),
    "quick_gelu": (
        lambda x: x * sigmoid(1.702 * x),
        lambda x: sigmoid(1.702 * x) * (1 + 1.702 * x * (1 - sigmoid(1.702 * x))),
    ),
    "relu_squared": (
        lambda x: where(x > 0, x * x, 0.0),
        lambda x: where(x > 0, 2 * x, 0.0),
    ),
}

# Parameter sets beyond the defaults, by PyTorch's names (the Python functions' keywords), and
# the same by the reference's (the core's canonical) names.
CASES = [
    ("leaky_relu", {"negative_slope": 0.2}, {"alpha": 0.2}),
    ("leaky_relu", {"negative_slope": -0.5}, {"alpha": -0.5}),
    ("leaky_relu", {"negative_slope": 3.0}, {"alpha": 3.0}),
    ("prelu", {"weight": 0.1}, {"weight": 0.1}),
    ("rrelu", {"lower": 0.1, "upper": 0.3}, {"lower": 0.1, "upper": 0.3}),
    ("elu", {"alpha": 0.5}, {"alpha": 0.5}),
    ("celu", {"alpha": 2.0}, {"alpha": 2.0}),
    ("gelu", {"approximate": "tanh"}, {"approximate": "tanh"}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}, {"beta": 2.0, "threshold": 5.0}),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, {"min": -2.0, "max": 3.0}),
    ("softshrink", {"lambd": 1.0}, {"lambd": 1.0}),
    ("hardshrink", {"lambd": 1.0}, {"lambd": 1.0}),
    ("threshold", {"threshold": 0.5, "value": -1.0}, {"threshold": 0.5, "value": -1.0}),
]
