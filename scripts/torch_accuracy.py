"""PyTorch's own f32 accuracy, measured the way `leaky accuracy` measures ours.

For each smooth activation, PyTorch's f32 result (forward, and the derivative through autograd) is
compared with PyTorch's f64 result on the same input; the error is |y - ref| in units of the f32
ULP at ref (2^-149 below 2^-126). A NaN must meet a NaN and an overflow must match; anything else
counts as an infinite error. The inputs are every `--stride`-th of the 2^32 bit patterns (1 sweeps
them all), in chunks.

    python scripts/torch_accuracy.py --stride 16        # 2^28 inputs per function, a few minutes
    python scripts/torch_accuracy.py gelu silu --stride 1

Prints a Markdown table: function, direction, max ULP, the input where it occurs, the max ULP over the
inputs whose reference is a normal float (or zero), and the share of results not correctly rounded.
"""

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

FUNCTIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": F.gelu,
    "gelu:approximate=tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "elu": F.elu,
    "selu": F.selu,
    "celu:alpha=0.7": lambda x: F.celu(x, alpha=0.7),
    "softplus": F.softplus,
    "softplus:beta=0.5": lambda x: F.softplus(x, beta=0.5),
    "softplus:beta=2": lambda x: F.softplus(x, beta=2),
    "softplus:beta=10": lambda x: F.softplus(x, beta=10),
    "logsigmoid": F.logsigmoid,
    "mish": F.mish,
    "softsign": F.softsign,
    "tanhshrink": F.tanhshrink,
}


def ulp_errors(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|y - ref| in ULPs of f32 at ref, with NaN and overflow rules as in leaky's accuracy module."""
    y64 = y.astype(np.float64)
    with np.errstate(all="ignore"):
        ref32 = ref.astype(np.float32)
        _, exponent = np.frexp(ref)
        ulp = np.ldexp(1.0, np.maximum(exponent - 24, -149))
        err = np.abs(y64 - ref) / ulp
    nan_ref, nan_y = np.isnan(ref), np.isnan(y)
    err[nan_ref | nan_y] = np.where((nan_ref & nan_y)[nan_ref | nan_y], 0.0, np.inf)
    big = np.isinf(ref32) | np.isinf(y)
    big &= ~(nan_ref | nan_y)
    err[big] = np.where(y[big] == ref32[big], 0.0, np.inf)
    return err


def results(f, x32: torch.Tensor, derivative: bool):
    """f(x) (or f'(x) through autograd) in f32 and in f64."""
    out = []
    for dtype in (torch.float32, torch.float64):
        x = x32.detach().to(dtype).clone()
        if derivative:
            x.requires_grad_(True)
            f(x).backward(torch.ones_like(x))
            out.append(x.grad.numpy())
        else:
            with torch.no_grad():
                out.append(f(x).numpy())
    return out


def sweep(name: str, derivative: bool, stride: int, chunk: int):
    f = FUNCTIONS[name]
    worst, worst_x, worst_normal, not_rounded, count = 0.0, math.nan, 0.0, 0, 0
    for start in range(0, 1 << 32, chunk * stride):
        bits = np.arange(start, min(start + chunk * stride, 1 << 32), stride, dtype=np.uint64)
        x = torch.from_numpy(bits.astype(np.uint32).view(np.float32).copy())
        y, ref = results(f, x, derivative)
        err = ulp_errors(y, ref)
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, worst_x = float(err[i]), float(x[i])
        normal = ~(np.abs(ref) < 2.0**-126) | (ref == 0)
        if normal.any():
            worst_normal = max(worst_normal, float(err[normal].max()))
        not_rounded += int(np.count_nonzero(err > 0.5))
        count += len(err)
    return worst, worst_x, worst_normal, not_rounded / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("functions", nargs="*", help="some of: " + ", ".join(FUNCTIONS) + " (default: all)")
    parser.add_argument("--stride", type=int, default=16, help="sweep every N-th bit pattern")
    parser.add_argument("--chunk", type=int, default=1 << 22, help="inputs per batch")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    unknown = [name for name in args.functions if name not in FUNCTIONS]
    if unknown:
        parser.error(f"unknown function {unknown[0]!r}; choose from {', '.join(FUNCTIONS)}")
    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, every {args.stride}th f32 bit pattern\n")
    print("| function | direction | max ULP | at x | max ULP where the result is normal | not correctly rounded |")
    print("|---|---|---|---|---|---|")
    for name in args.functions or FUNCTIONS:
        for derivative in (False, True):
            worst, at, normal, share = sweep(name, derivative, args.stride, args.chunk)
            direction = "derivative" if derivative else "forward"
            print(f"| {name} | {direction} | {worst:.3f} | {at:.8g} | {normal:.3f} | {100 * share:.2g} % |",
                  flush=True)


if __name__ == "__main__":
    main()
