"""Side-by-side timings of leaky against numpy and PyTorch, on the same numpy-backed data, in one
run (absolute figures move between runs on shared machines; the ratios are what to read).

    python bench.py                  # 4Mi float32, PyTorch on 2 threads
    python bench.py --size 262144 --threads 1

The targets (crates/leaky-py/README.md reports the measured ratios):
  * leaky.leaky_relu(x) at least 5x faster than the article's np.maximum(alpha * x, x);
  * at least as fast as torch.nn.functional.leaky_relu (PyTorch on 2 threads);
  * under 5 us per call on a 1,000-element array.

This is a benchmark, not a test: it prints, and exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import leaky

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the numpy comparisons still run
    torch = None


def timed(candidates: dict[str, Callable[[], object]], rounds: int, inner: int) -> dict[str, float]:
    """Median seconds per call of each candidate; the candidates take turns in every round, so
    that a slow moment of the machine hits them all alike."""
    for fn in candidates.values():  # warm up: page in outputs, start thread pools
        for _ in range(3):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, results: dict[str, float], n: int, baseline: str) -> None:
    print(f"\n{title}")
    print(f"  {'':48} {'time':>10} {'Gelem/s':>9} {'leaky is':>10}")
    ours = results[baseline]
    for name, seconds in results.items():
        ratio = "" if name == baseline else f"{seconds / ours:9.2f}x"
        rate = n / seconds / 1e9
        print(f"  {name:48} {format_time(seconds):>10} {rate:9.2f} {ratio:>10}")


def format_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4 << 20, help="elements (default 4Mi)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    parser.add_argument("--rounds", type=int, default=30, help="timing rounds (default 30)")
    args = parser.parse_args()

    n, alpha = args.size, 0.01
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32)
    out = np.empty_like(x)
    print(f"leaky {leaky.__version__}, numpy {np.__version__}", end="")
    if torch is not None:
        torch.set_num_threads(args.threads)
        t = torch.from_numpy(x)  # the same memory
        t_out = torch.from_numpy(out)
        print(f", torch {torch.__version__} on {torch.get_num_threads()} threads", end="")
    print(f"; {n:,} float32 elements")
    inner = max(1, (1 << 20) // n)

    candidates: dict[str, Callable[[], object]] = {
        "leaky.leaky_relu(x)": lambda: leaky.leaky_relu(x),
        "np.maximum(alpha * x, x)  (the article)": lambda: np.maximum(alpha * x, x),
    }
    if torch is not None:
        candidates["torch.nn.functional.leaky_relu(t)"] = lambda: F.leaky_relu(t, alpha)
    candidates["leaky.leaky_relu(x, out=y)"] = lambda: leaky.leaky_relu(x, out=out)
    if torch is not None:
        candidates["torch leaky_relu(t, out=y)"] = lambda: torch._C._nn.leaky_relu(
            t, alpha, out=t_out
        )
    forward = timed(candidates, args.rounds, inner)
    report("LeakyReLU forward", forward, n, "leaky.leaky_relu(x)")

    grad = np.ones_like(x)
    candidates = {
        "leaky.leaky_relu_backward(g, x)": lambda: leaky.leaky_relu_backward(grad, x),
        "np.where(x > 0, g, alpha * g)": lambda: np.where(x > 0, grad, alpha * grad),
    }
    if torch is not None:
        g = torch.from_numpy(grad)
        candidates["torch leaky_relu_backward(g, t)"] = lambda: torch.ops.aten.leaky_relu_backward(
            g, t, alpha, False
        )
    backward = timed(candidates, args.rounds, inner)
    report("LeakyReLU backward", backward, n, "leaky.leaky_relu_backward(g, x)")

    smooth = {}
    for name in ("sigmoid", "tanh", "gelu", "silu"):
        candidates = {f"leaky.{name}(x)": getattr(leaky, name)}
        if torch is not None:
            candidates[f"torch {name}(t)"] = getattr(F, name)
        arg = {"leaky": x, "torch": t if torch is not None else None}
        candidates = {
            label: (lambda fn=fn, a=arg["leaky" if label.startswith("leaky") else "torch"]: fn(a))
            for label, fn in candidates.items()
        }
        smooth.update(timed(candidates, max(5, args.rounds // 3), inner))
    print("\nSmooth activations, forward")
    for label, seconds in smooth.items():
        print(f"  {label:48} {format_time(seconds):>10} {n / seconds / 1e9:9.2f}")

    small = rng.standard_normal(1000, dtype=np.float32)
    small_out = np.empty_like(small)
    candidates = {
        "leaky.leaky_relu(x) on 1,000": lambda: leaky.leaky_relu(small),
        "leaky.leaky_relu(x, out=y) on 1,000": lambda: leaky.leaky_relu(small, out=small_out),
        "leaky.leaky_relu(0.5) (a Python float)": lambda: leaky.leaky_relu(0.5),
        "np.maximum(alpha * x, x) on 1,000": lambda: np.maximum(alpha * small, small),
    }
    if torch is not None:
        ts = torch.from_numpy(small)
        candidates["torch leaky_relu(t) on 1,000"] = lambda: F.leaky_relu(ts, alpha)
    overhead = timed(candidates, args.rounds, 2000)
    print("\nCall overhead")
    for label, seconds in overhead.items():
        print(f"  {label:48} {format_time(seconds):>10}")

    print("\nTargets")
    ours = forward["leaky.leaky_relu(x)"]
    article = forward["np.maximum(alpha * x, x)  (the article)"]
    print(f"  vs the article's numpy: {article / ours:.1f}x faster (target >= 5x)")
    if torch is not None:
        torch_time = forward["torch.nn.functional.leaky_relu(t)"]
        print(f"  vs torch ({args.threads} threads): {torch_time / ours:.2f}x (target >= 1x)")
    per_call = overhead["leaky.leaky_relu(x) on 1,000"] * 1e6
    print(f"  call on 1,000 elements: {per_call:.2f} us (target < 5 us)")


if __name__ == "__main__":
    main()
