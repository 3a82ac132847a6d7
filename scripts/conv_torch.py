"""PyTorch's F.conv2d on the shapes of crates/leaky-candle/benches/conv_vs_candle.rs: forward,
and forward + backward (x and w requiring gradients, y.sum().backward()), f32, median of timed
repetitions. Usage: python scripts/conv_torch.py [--threads N]."""
import argparse
import time

import torch
import torch.nn.functional as F

SHAPES = [("issue3119", 2, 3, 16, 320), ("cnn-conv1", 16, 1, 32, 28), ("cnn-conv2", 16, 32, 64, 14)]


def median_seconds(f, repeats=30):
    f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} threads")
    for name, n, c_in, c_out, side in SHAPES:
        x = torch.randn(n, c_in, side, side, requires_grad=True)
        w = (0.1 * torch.randn(c_out, c_in, 3, 3)).requires_grad_()
        b = torch.zeros(c_out, requires_grad=True)

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=1)

        def both():
            F.conv2d(x, w, b, padding=1).sum().backward()

        print(f"{name}: forward {1e3 * median_seconds(forward):.3f} ms, "
              f"forward+backward {1e3 * median_seconds(both):.3f} ms")


if __name__ == "__main__":
    main()
