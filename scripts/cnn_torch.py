#!/usr/bin/env python3
"""Seconds per training epoch of `leaky train cnn`'s model in PyTorch, for the README's table.

The same network (conv 3x3 32 -> act -> maxpool 2 -> conv 3x3 64 -> act -> maxpool 2 -> linear 128
-> act -> linear 10), the same data (the 8,000 training digits of data/mnist-10k; the split differs
from leaky's shuffle, which does not matter for speed), batches of 16, Adam at 1e-3 with x0.5 per
epoch, shifts of up to 1 pixel, standardised pixels. Prints one line per epoch: the training seconds
(as leaky's metrics.json "seconds": the epoch's batches, not the evaluation) and the held-out
accuracy on the other 2,000 digits.

    python scripts/cnn_torch.py [--threads 2] [--epochs 2] [--alpha 0.01]
"""

import argparse
import gzip
import pathlib
import time

import numpy as np
import torch
from torch import nn

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist-10k"


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load():
    images = read_idx(DATA / "images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    labels = read_idx(DATA / "labels-idx1-ubyte.gz", 8).astype(np.int64)
    order = np.random.default_rng(0).permutation(len(labels))
    x = (torch.from_numpy(images[order].astype(np.float32)) / 255.0 - 0.1307) / 0.3081
    y = torch.from_numpy(labels[order])
    return (x[:8000], y[:8000]), (x[8000:], y[8000:])


def model(alpha):
    act = lambda: nn.LeakyReLU(alpha)  # noqa: E731
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), act(), nn.Linear(128, 10),
    )


def shift(batch, rng):
    """Moves each image by up to 1 pixel in each direction, filling with the background."""
    out = torch.full_like(batch, float(batch.min()))
    for i, (dy, dx) in enumerate(rng.integers(-1, 2, size=(len(batch), 2))):
        src = batch[i, :, max(0, -dy):28 - max(0, dy), max(0, -dx):28 - max(0, dx)]
        out[i, :, max(0, dy):max(0, dy) + src.shape[1], max(0, dx):max(0, dx) + src.shape[2]] = src
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=0.01)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    (x, y), (tx, ty) = load()
    net = model(args.alpha)
    adam = torch.optim.Adam(net.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}")
    for epoch in range(1, args.epochs + 1):
        for group in adam.param_groups:
            group["lr"] = 1e-3 * 0.5 ** (epoch - 1)
        order = torch.from_numpy(rng.permutation(len(y)))
        net.train()
        start = time.perf_counter()
        for i in range(0, len(y), args.batch):
            idx = order[i:i + args.batch]
            loss = nn.functional.cross_entropy(net(shift(x[idx], rng)), y[idx])
            adam.zero_grad()
            loss.backward()
            adam.step()
        seconds = time.perf_counter() - start
        net.eval()
        with torch.no_grad():
            accuracy = (net(tx).argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch}: {seconds:.2f} s, held-out accuracy {100 * accuracy:.2f}%")


if __name__ == "__main__":
    main()
