#!/usr/bin/env python3
"""Writes PyTorch's values of every activation, forward and derivative, for the Rust tests.

Usage: python make_reference.py [OUT_DIR]   (needs numpy, torch and mpmath; the Rust tests do not)

For each activation spec, dtype (float32, float64) and input x (edge cases plus a seeded random
sample), one CSV row holds the IEEE bit patterns, in hex, of:
  x, y = f(x) and dy = f'(x) computed by PyTorch in that dtype (dy from autograd with grad 1),
  and, for smooth functions at finite x, yt and dyt: the true values, computed with mpmath at
  60 significant digits and rounded to the dtype (where mpmath can: not GELU at huge |x|), which our results are held to within a ULP
  bound (PyTorch's own are not always close: its GELU cancels in the negative tail). Piecewise-
  linear functions and non-finite inputs leave yt and dyt empty.
"""
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import torch
import torch.nn.functional as F

mp.mp.dps = 60

# spec (as the Rust crate parses it) -> PyTorch function of a tensor
ACTIVATIONS = {
    "leaky_relu": lambda x: F.leaky_relu(x),
    "leaky_relu:alpha=0.2": lambda x: F.leaky_relu(x, 0.2),
    "leaky_relu:alpha=0": lambda x: F.leaky_relu(x, 0.0),
    "leaky_relu:alpha=-0.5": lambda x: F.leaky_relu(x, -0.5),
    "leaky_relu:alpha=1.5": lambda x: F.leaky_relu(x, 1.5),
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "prelu": lambda x: F.prelu(x, torch.tensor([0.25], dtype=x.dtype)),
    "prelu:weight=-0.3": lambda x: F.prelu(x, torch.tensor([-0.3], dtype=x.dtype)),
    "rrelu": lambda x: F.rrelu(x, training=False),
    "rrelu:lower=0.1,upper=0.5": lambda x: F.rrelu(x, 0.1, 0.5, training=False),
    "elu": F.elu,
    "elu:alpha=0.5": lambda x: F.elu(x, 0.5),
    "selu": F.selu,
    "celu": F.celu,
    "celu:alpha=2": lambda x: F.celu(x, 2.0),
    "gelu": F.gelu,
    "gelu:approximate=tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "mish": F.mish,
    "softplus": F.softplus,
    "softplus:beta=2,threshold=10": lambda x: F.softplus(x, 2.0, 10.0),
    "softsign": F.softsign,
    "hardtanh": F.hardtanh,
    "hardtanh:min=-2,max=0.5": lambda x: F.hardtanh(x, -2.0, 0.5),
    "relu6": F.relu6,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "logsigmoid": F.logsigmoid,
    "tanhshrink": F.tanhshrink,
    "softshrink": F.softshrink,
    "softshrink:lambda=1.5": lambda x: F.softshrink(x, 1.5),
    "hardshrink": F.hardshrink,
    "hardshrink:lambda=0.25": lambda x: F.hardshrink(x, 0.25),
    "threshold:threshold=0.5,value=-2": lambda x: F.threshold(x, 0.5, -2.0),
    # Not in PyTorch: composed as CLIP's QuickGELU and Primer's squared ReLU are written.
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "relu_squared": lambda x: torch.relu(x) ** 2,
}


def _sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _softplus(x, beta=1, threshold=20):
    return x if x * beta > threshold else mp.log1p(mp.exp(beta * x)) / beta


def _gelu_tanh_parts(x):
    k = mp.sqrt(2 / mp.pi)
    u = k * (x + mp.mpf("0.044715") * x**3)
    du = k * (1 + 3 * mp.mpf("0.044715") * x**2)
    return u, du


def _tanhshrink(x):
    # x - tanh(x) ~ x^3/3 cancels: enough digits for the smallest f64 inputs.
    with mp.workdps(700):
        return +(x - mp.tanh(x))


def _quick_gelu_derivative(x):
    w = mp.mpf("1.702") * x
    return _sigmoid(w) * (1 + w * _sigmoid(-w))


SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")

# spec of a smooth function -> (f, f') in mpmath: the truth that our results are measured against.
TRUTH = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * _sigmoid(-x)),
    "tanh": (mp.tanh, lambda x: mp.sech(x) ** 2),
    "elu": (lambda x: x if x > 0 else mp.expm1(x), lambda x: 1 if x > 0 else mp.exp(x)),
    "elu:alpha=0.5": (lambda x: x if x > 0 else mp.mpf("0.5") * mp.expm1(x),
                      lambda x: 1 if x > 0 else mp.mpf("0.5") * mp.exp(x)),
    "selu": (lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * mp.expm1(x)),
             lambda x: SELU_SCALE * (1 if x > 0 else SELU_ALPHA * mp.exp(x))),
    "celu": (lambda x: x if x > 0 else mp.expm1(x), lambda x: 1 if x > 0 else mp.exp(x)),
    "celu:alpha=2": (lambda x: x if x > 0 else 2 * mp.expm1(x / 2),
                     lambda x: 1 if x > 0 else mp.exp(x / 2)),
    "gelu": (lambda x: x * mp.ncdf(x), lambda x: mp.ncdf(x) + x * mp.npdf(x)),
    "gelu:approximate=tanh": (
        lambda x: x * _sigmoid(2 * _gelu_tanh_parts(x)[0]),
        lambda x: _sigmoid(2 * _gelu_tanh_parts(x)[0])
        + 2 * x * _sigmoid(2 * _gelu_tanh_parts(x)[0]) * _sigmoid(-2 * _gelu_tanh_parts(x)[0])
        * _gelu_tanh_parts(x)[1]),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * _sigmoid(-x))),
    "mish": (lambda x: x * mp.tanh(_softplus(x, 1, mp.inf)),
             lambda x: mp.tanh(_softplus(x, 1, mp.inf))
             + x * mp.sech(_softplus(x, 1, mp.inf)) ** 2 * _sigmoid(x)),
    "softplus": (lambda x: _softplus(x), lambda x: 1 if x > 20 else _sigmoid(x)),
    "softplus:beta=2,threshold=10": (lambda x: _softplus(x, 2, 10),
                                     lambda x: 1 if 2 * x > 10 else _sigmoid(2 * x)),
    "softsign": (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
    "logsigmoid": (lambda x: -mp.log1p(mp.exp(-x)), lambda x: _sigmoid(-x)),
    "tanhshrink": (_tanhshrink, lambda x: mp.tanh(x) ** 2),
    "quick_gelu": (lambda x: x * _sigmoid(mp.mpf("1.702") * x), _quick_gelu_derivative),
    "relu_squared": (lambda x: x**2 if x > 0 else mp.mpf(0), lambda x: 2 * x if x > 0 else 0),
}


def truth(spec, x, dtype):
    """The true f(x) and f'(x) rounded to dtype, as hex; empty where there is no entry."""
    if spec not in TRUTH:
        return [""] * len(x), [""] * len(x)
    f, df = TRUTH[spec]
    ys, dys = [], []
    for v in x:
        m = mp.mpf(float(v))
        try:
            y, dy = f(m), df(m)
        except OverflowError:  # mpmath's erfc fails for huge arguments
            y = dy = None
        if not np.isfinite(v) or y is None:
            ys.append("")
            dys.append("")
            continue
        ys.append(hexbits(np.array([float(y)], dtype=np.float64).astype(dtype))[0])
        dys.append(hexbits(np.array([float(dy)], dtype=np.float64).astype(dtype))[0])
    return ys, dys


def inputs(dtype):
    info = np.finfo(dtype)
    edges = [0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5,
             info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal,
             info.smallest_subnormal * 1000, -info.smallest_subnormal * 1000,
             info.max, -info.max, 1e-30, -1e-30, 1e-8, -1e-8, 8.0, -8.0, 10.0, -10.0, 20.0, -20.0,
             44.0, -44.0, 88.0, -88.0, 88.8, -88.8, 100.0, -100.0, 104.0, -104.0, 710.0, -710.0,
             740.0, -740.0, 1e30, -1e30, 3.0, -3.0, 6.0, 0.25, -0.25, 1.5, -1.5, 0.1, -0.1,
             1e-3, -1e-3, 5.0, 10.0, 20.0000019, 19.99999]
    rng = np.random.default_rng(20261128)
    sample = np.concatenate([
        rng.normal(0.0, 3.0, 150),
        rng.uniform(-30.0, 30.0, 120),
        np.sign(rng.uniform(-1, 1, 130)) * np.exp(rng.uniform(-80, 6, 130)),
    ])
    x = np.concatenate([np.array(edges, dtype=np.float64), sample]).astype(dtype)
    return x


def forward_and_derivative(fn, x):
    t = torch.from_numpy(x.copy()).requires_grad_(True)
    y = fn(t)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), t.grad.numpy()


def hexbits(a):
    width = 8 if a.dtype == np.float32 else 16
    ints = a.view(np.uint32 if a.dtype == np.float32 else np.uint64)
    return [format(int(v), f"0{width}x") for v in ints]


@np.errstate(over="ignore")
def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)
    torch.set_num_threads(1)
    path = out / "torch_reference.csv"
    with open(path, "w") as f:
        f.write(f"# PyTorch {torch.__version__}, numpy {np.__version__}, mpmath {mp.__version__};"
                " made by make_reference.py\n")
        f.write("spec,dtype,x,y,dy,yt,dyt\n")
        for spec, fn in ACTIVATIONS.items():
            for dtype, name in [(np.float32, "f32"), (np.float64, "f64")]:
                x = inputs(dtype)
                y, dy = forward_and_derivative(fn, x)
                yt, dyt = truth(spec, x, dtype)
                for row in zip(hexbits(x), hexbits(y), hexbits(dy), yt, dyt):
                    f.write(f"{spec},{name},{','.join(row)}\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
