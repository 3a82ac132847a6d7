"""Side-by-side timings of leaky against numpy and PyTorch on the same numpy-backed data.

    python scripts/python_bench.py                    # 4Mi float32 elements, PyTorch on 2 threads
    python scripts/python_bench.py --size 262144 --threads 1 --rounds 5

Every candidate runs in a fresh Python process of its own, so that each sees the memory allocator
as a program doing only that would (numpy's `np.maximum(alpha * x, x)` allocates two arrays a
call, and whether the allocator hands back warm memory or fresh pages depends on what else the
process did), and PyTorch's threads do not spin beside the others. The candidates take turns,
round after round, so that a busy moment of a shared machine hits them all alike. Each process
reports its median time per call; the figure kept is each candidate's best round (the one the
machine disturbed least, as scripts/compare.py does), with the median over rounds beside it. Read the
ratios: absolute figures move between runs.

The targets (crates/leaky-py/README.md reports the measured ratios):
  * leaky.leaky_relu(x) at least 5x faster than the article's np.maximum(alpha * x, x);
  * at least as fast as torch.nn.functional.leaky_relu on the same data, PyTorch on 2 threads;
  * under 5 us per call on a 1,000-element array.

This is a benchmark, not a test: it prints, and exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

ALPHA = 0.01
ARTICLE = "np.maximum(alpha * x, x)  [the article]"

# name -> (group, needs torch, setup code run in the worker; it defines `call`).
# In the setup: n, x (float32, n elements), y (its output buffer), g (ones), threads.
CANDIDATES = {
    "leaky.leaky_relu(x)": ("forward", False, "call = lambda: leaky.leaky_relu(x)"),
    ARTICLE: (
        "forward",
        False,
        "call = lambda: np.maximum(ALPHA * x, x)",
    ),
    "torch.nn.functional.leaky_relu(t)": (
        "forward",
        True,
        "t = torch.from_numpy(x); call = lambda: F.leaky_relu(t, ALPHA)",
    ),
    "torch.nn.functional.leaky_relu(t), 1 thread": (
        "forward",
        True,
        "torch.set_num_threads(1); t = torch.from_numpy(x); call = lambda: F.leaky_relu(t, ALPHA)",
    ),
    "leaky.leaky_relu(x, out=y)": ("forward", False, "call = lambda: leaky.leaky_relu(x, out=y)"),
    "np.maximum(np.multiply(alpha, x, out=y), x, out=y)": (
        "forward",
        False,
        "call = lambda: np.maximum(np.multiply(ALPHA, x, out=y), x, out=y)",
    ),
    "torch leaky_relu(t, out=y)": (
        "forward",
        True,
        "t, ty = torch.from_numpy(x), torch.from_numpy(y)\n"
        "call = lambda: torch._C._nn.leaky_relu(t, ALPHA, out=ty)",
    ),
    "leaky.leaky_relu_backward(g, x)": (
        "backward",
        False,
        "call = lambda: leaky.leaky_relu_backward(g, x)",
    ),
    "np.where(x > 0, g, alpha * g)": (
        "backward",
        False,
        "call = lambda: np.where(x > 0, g, ALPHA * g)",
    ),
    "torch leaky_relu_backward(g, t)": (
        "backward",
        True,
        "t, tg = torch.from_numpy(x), torch.from_numpy(g)\n"
        "call = lambda: torch.ops.aten.leaky_relu_backward(tg, t, ALPHA, False)",
    ),
    **{
        f"leaky.{name}(x)": ("smooth", False, f"call = lambda: leaky.{name}(x)")
        for name in ("sigmoid", "tanh", "gelu", "silu")
    },
    **{
        f"torch {name}(t)": (
            "smooth",
            True,
            f"t = torch.from_numpy(x); call = lambda: F.{name}(t)",
        )
        for name in ("sigmoid", "tanh", "gelu", "silu")
    },
    "leaky.leaky_relu(x), 1,000 elements": (
        "overhead",
        False,
        "x = x[:1000].copy(); call = lambda: leaky.leaky_relu(x)",
    ),
    "leaky.leaky_relu(x, out=y), 1,000 elements": (
        "overhead",
        False,
        "x, y = x[:1000].copy(), y[:1000].copy(); call = lambda: leaky.leaky_relu(x, out=y)",
    ),
    "leaky.leaky_relu(0.5), a Python float": (
        "overhead",
        False,
        "call = lambda: leaky.leaky_relu(0.5)",
    ),
    "np.maximum(alpha * x, x), 1,000 elements": (
        "overhead",
        False,
        "x = x[:1000].copy(); call = lambda: np.maximum(ALPHA * x, x)",
    ),
    "torch.nn.functional.leaky_relu(t), 1,000 elements": (
        "overhead",
        True,
        "t = torch.from_numpy(x[:1000].copy()); call = lambda: F.leaky_relu(t, ALPHA)",
    ),
}

TITLES = {
    "forward": "LeakyReLU forward",
    "backward": "LeakyReLU backward",
    "smooth": "Smooth activations, forward",
    "overhead": "Call overhead",
}


def worker(name: str, size: int, threads: int) -> None:
    """Times one candidate in this process and prints its median seconds per call as JSON."""
    import numpy as np

    import leaky

    _, needs_torch, setup = CANDIDATES[name]
    scope = {"np": np, "leaky": leaky, "ALPHA": ALPHA}
    if needs_torch:
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(threads)
        scope.update(torch=torch, F=F)
    x = np.random.default_rng(0).standard_normal(size, dtype=np.float32)
    scope.update(n=size, x=x, y=np.empty_like(x), g=np.ones_like(x))
    exec(setup, scope)
    call = scope["call"]
    for _ in range(5):
        call()
    # Batches of calls lasting about 10 ms each, for at least 0.3 s or 15 batches.
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    batch = max(1, int(0.01 / once))
    samples = []
    deadline = time.perf_counter() + 0.3
    while len(samples) < 15 or time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append((time.perf_counter() - start) / batch)
    print(json.dumps({"seconds": statistics.median(samples)}))


def torch_available() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4 << 20, help="elements (default 4Mi)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.size, args.threads)
        return

    import numpy as np

    import leaky

    torch_version = torch_available()
    names = [n for n, (_, needs_torch, _) in CANDIDATES.items() if torch_version or not needs_torch]
    print(f"leaky {leaky.__version__}, numpy {np.__version__}", end="")
    if torch_version:
        print(f", torch {torch_version} on {args.threads} threads", end="")
    print(f"; {args.size:,} float32 elements; {args.rounds} rounds of one process per candidate")
    try:
        with open("/proc/loadavg") as f:
            print(f"load average at start: {' '.join(f.read().split()[:3])}")
    except OSError:
        pass

    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names:
            command = [sys.executable, __file__, "--worker", name, "--size", str(args.size)]
            command += ["--threads", str(args.threads)]
            run = subprocess.run(command, capture_output=True, text=True, check=True)
            samples[name].append(json.loads(run.stdout.strip().splitlines()[-1])["seconds"])
        print(f"  round {round_ + 1} of {args.rounds} done", file=sys.stderr)
    best = {name: min(values) for name, values in samples.items()}
    median = {name: statistics.median(values) for name, values in samples.items()}

    for group, title in TITLES.items():
        print(f"\n{title}  (best round; median of the rounds after it)")
        first = None
        for name in names:
            if CANDIDATES[name][0] != group:
                continue
            seconds = best[name]
            first = first or seconds
            n = 1000 if group == "overhead" else args.size
            rate = "" if "Python float" in name else f"{n / seconds / 1e9:8.2f} Gelem/s"
            ratio = f"{seconds / first:7.2f}x leaky's time" if group != "overhead" else ""
            print(f"  {name:52} {fmt(seconds):>10} {rate:>16} {ratio:>20}  ({fmt(median[name])})")

    print("\nTargets (best rounds; medians in brackets)")

    def ratio(other: str, ours: str = "leaky.leaky_relu(x)") -> str:
        return f"{best[other] / best[ours]:.2f}x ({median[other] / median[ours]:.2f}x)"

    print(f"  leaky.leaky_relu(x) vs the article's numpy: {ratio(ARTICLE)} faster (target >= 5x)")
    if torch_version:
        print(
            f"  leaky.leaky_relu(x) vs torch on {args.threads} threads: "
            f"{ratio('torch.nn.functional.leaky_relu(t)')} as fast (target >= 1x)"
        )
    small = "leaky.leaky_relu(x), 1,000 elements"
    print(
        f"  call on 1,000 elements: {best[small] * 1e6:.2f} us ({median[small] * 1e6:.2f} us)"
        " (target < 5 us)"
    )


if __name__ == "__main__":
    main()
