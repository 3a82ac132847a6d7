#!/usr/bin/env python3
"""Writes PyTorch's values of every activation, forward and derivative, for the Rust tests.

Usage: python make_reference.py [OUT_DIR]   (needs numpy and torch; the Rust tests do not)

For each activation spec, dtype (float32, float64) and input x (edge cases plus a seeded random
sample), one CSV row holds the IEEE bit patterns, in hex, of:
  x, y = f(x) and dy = f'(x) computed by PyTorch in that dtype (dy from autograd with grad 1),
  and, for float32 rows only, y64 and dy64: the same computed by PyTorch in float64 from the
  float32 x widened exactly, the accurate reference that our results are held to within a ULP bound
  (float64 rows leave them empty).
"""
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

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
}


def inputs(dtype):
    info = np.finfo(dtype)
    edges = [0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5,
             info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal,
             info.smallest_subnormal * 1000, -info.smallest_subnormal * 1000,
             info.max, -info.max, 1e-30, -1e-30, 1e-8, -1e-8, 8.0, -8.0, 10.0, -10.0, 20.0, -20.0,
             44.0, -44.0, 88.0, -88.0, 88.8, -88.8, 100.0, -100.0, 104.0, -104.0, 710.0, -710.0,
             740.0, -740.0, 1e30, -1e30]
    rng = np.random.default_rng(20261128)
    sample = np.concatenate([
        rng.normal(0.0, 3.0, 300),
        rng.uniform(-30.0, 30.0, 200),
        np.sign(rng.uniform(-1, 1, 150)) * np.exp(rng.uniform(-80, 6, 150)),
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


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)
    torch.set_num_threads(1)
    path = out / "torch_reference.csv"
    with open(path, "w") as f:
        f.write(f"# PyTorch {torch.__version__}, numpy {np.__version__}; made by make_reference.py\n")
        f.write("spec,dtype,x,y,dy,y64,dy64\n")
        for spec, fn in ACTIVATIONS.items():
            for dtype, name in [(np.float32, "f32"), (np.float64, "f64")]:
                x = inputs(dtype)
                y, dy = forward_and_derivative(fn, x)
                if dtype == np.float32:
                    y64, dy64 = (hexbits(a) for a in forward_and_derivative(fn, x.astype(np.float64)))
                else:
                    y64 = dy64 = [""] * len(x)
                for row in zip(hexbits(x), hexbits(y), hexbits(dy), y64, dy64):
                    f.write(f"{spec},{name},{','.join(row)}\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
