#!/usr/bin/env python3
"""`leaky train gan`'s networks trained in PyTorch, scored by a `leaky train cnn` classifier.

A cross-check for the GAN's classifier score: is it our implementation, or this architecture at this
budget? Same generator (linear to 2C x 7 x 7, batch norm, activation, transposed conv 4x4/2 to C, batch
norm, activation, transposed conv 4x4/2 to 1, tanh), same discriminator (conv 4x4/2, LeakyReLU 0.2,
conv 4x4/2, batch norm, LeakyReLU 0.2, linear), same data (the 8,000 training digits of
data/mnist-10k, in another shuffle), same losses (labels 0.9 for real digits) and Adam (lr 1e-3,
beta1 0.5), batches of 64. Conditional by default, as `leaky train gan`: the generator reads the
one-hot code of the digit to draw beside the noise, the discriminator adds the projection of a
learned per-digit vector onto its features to its logit (Miyato and Koyama, 2018), real digits come
with their labels and generated ones are asked for digits drawn at random; --unconditional trains
the plain DCGAN. At the end, 1,000 generated digits (asked for 0 to 9 in turn) go through the
classifier whose weights `leaky train cnn` wrote (model.safetensors, read here without the
safetensors package), and the script prints the fraction recognised with confidence >= 0.9, per
class, as the digit asked for (when conditional), and the Inception Score, as `leaky train gan`
does. PyTorch's own initialisation, not leaky's.

    python scripts/gan_torch.py --classifier runs/cnn/model.safetensors [--steps 3000]
        [--channels 32] [--lr 1e-3] [--d-lr LR] [--g-steps 1] [--g-alpha 0] [--real-label 0.9]
        [--unconditional] [--dcgan-init] [--seed 1] [--threads 1]
"""

import argparse
import gzip
import json
import pathlib
import struct
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist-10k"


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def read_safetensors(path):
    """The float32 tensors of a safetensors file, by name."""
    raw = pathlib.Path(path).read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        start, end = (8 + size + o for o in entry["data_offsets"])
        values = np.frombuffer(raw[start:end], dtype=np.float32).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(values.copy())
    return tensors


CLASSIFIER_SHAPES = {
    "conv1.weight": [32, 1, 3, 3], "conv1.bias": [32], "conv2.weight": [64, 32, 3, 3], "conv2.bias": [64],
    "hidden.weight": [128, 3136], "hidden.bias": [128], "output.weight": [10, 128], "output.bias": [10],
}


def classifier(path):
    """`leaky train cnn`'s network (LeakyReLU 0.01) with the weights of `path`: pixels in,
    probabilities out. Raises ValueError for a file that is not such a checkpoint."""
    try:
        w = read_safetensors(path)
    except (OSError, ValueError, KeyError, struct.error) as e:
        raise ValueError(f"cannot read {path}: {e}") from e
    for name, shape in CLASSIFIER_SHAPES.items():
        if name not in w or list(w[name].shape) != shape:
            raise ValueError(f"{path} is not a checkpoint of `leaky train cnn`'s default model: "
                             f"it needs {name} of shape {shape}")

    def probabilities(pixels):
        x = (pixels.float() / 255.0 - 0.1307) / 0.3081
        for layer in ("conv1", "conv2"):
            x = F.conv2d(x, w[f"{layer}.weight"], w[f"{layer}.bias"], padding=1)
            x = F.max_pool2d(F.leaky_relu(x, 0.01), 2)
        x = F.leaky_relu(F.linear(x.flatten(1), w["hidden.weight"], w["hidden.bias"]), 0.01)
        return F.softmax(F.linear(x, w["output.weight"], w["output.bias"]), 1)

    return probabilities


def score(p, intended=None):
    """Recognised fraction (confidence >= 0.9), recognised per class, recognised as the `intended`
    digit (None without it), Inception Score."""
    confidence, digit = p.max(1)
    recognised = confidence >= 0.9
    marginal = p.mean(0)
    inception = torch.exp((p * (torch.log(p + 1e-12) - torch.log(marginal + 1e-12))).sum(1).mean())
    per_class = torch.bincount(digit[recognised], minlength=10).tolist()
    as_intended = None if intended is None else (recognised & (digit == intended)).float().mean().item()
    return recognised.float().mean().item(), per_class, as_intended, inception.item()


class Discriminator(nn.Module):
    """The logits that images are real; a conditional one adds the projection of a learned vector
    of the digit `y` onto the features h (Miyato and Koyama, 2018)."""

    def __init__(self, c, conditional):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.linear = nn.Linear(2 * c * 49, 1)
        self.project = nn.Embedding(10, 2 * c * 49) if conditional else None

    def forward(self, x, y=None):
        h = self.features(x)
        logit = self.linear(h).flatten()
        return logit if self.project is None else logit + (self.project(y) * h).sum(1)


def networks(c, latent, g_alpha, conditional):
    generator = nn.Sequential(
        nn.Linear(latent + (10 if conditional else 0), 2 * c * 49, bias=False),  # noise, one-hot digit
        nn.BatchNorm1d(2 * c * 49), nn.LeakyReLU(g_alpha), nn.Unflatten(1, (2 * c, 7, 7)),
        nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.LeakyReLU(g_alpha),
        nn.ConvTranspose2d(c, 1, 4, 2, 1), nn.Tanh(),
    )
    return generator, Discriminator(c, conditional)


def positive(kind):
    """An argparse type: a number of `kind` above 0."""
    def parse(text):
        value = kind(text)
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{text} is not a positive finite number")
        return value
    return parse


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--classifier", required=True, help="model.safetensors from `leaky train cnn`")
    p.add_argument("--steps", type=positive(int), default=3000)
    p.add_argument("--batch", type=positive(int), default=64)
    p.add_argument("--channels", type=positive(int), default=32)
    p.add_argument("--latent", type=positive(int), default=64)
    p.add_argument("--lr", type=positive(float), default=1e-3)
    p.add_argument("--d-lr", type=positive(float), default=None, help="the discriminator's (default: --lr)")
    p.add_argument("--g-steps", type=positive(int), default=1, help="generator steps per discriminator step")
    p.add_argument("--g-alpha", type=float, default=0.0, help="the generator's LeakyReLU slope (0: ReLU)")
    p.add_argument("--real-label", type=float, default=0.9)
    p.add_argument("--unconditional", action="store_true",
                   help="train the plain DCGAN, not told which digit to draw or to judge")
    p.add_argument("--dcgan-init", action="store_true", help="weights N(0, 0.02) as in the DCGAN paper")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=positive(int), default=1)
    args = p.parse_args()
    if args.batch > 8000:
        p.error(f"--batch {args.batch} is larger than the 8000 training digits")
    if not -1e6 < args.g_alpha < 1e6:
        p.error(f"--g-alpha {args.g_alpha} is not a finite slope")
    if not 0.0 <= args.real_label <= 1.0:
        p.error(f"--real-label {args.real_label} is not in [0, 1]")
    try:
        probabilities = classifier(args.classifier)  # before training: a bad file fails at once
    except ValueError as e:
        p.error(str(e))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    images = read_idx(DATA / "images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    order = np.random.default_rng(0).permutation(len(images))
    train = torch.from_numpy(images[order][:8000].astype(np.float32)) / 127.5 - 1
    held_out = torch.from_numpy(images[order][9000:].copy())
    labels = torch.from_numpy(read_idx(DATA / "labels-idx1-ubyte.gz", 8)[order].astype(np.int64))
    train_digits, held_out_digits = labels[:8000], labels[9000:]
    conditional = not args.unconditional

    generator, discriminator = networks(args.channels, args.latent, args.g_alpha, conditional)
    if args.dcgan_init:
        for m in [*generator.modules(), *discriminator.modules()]:
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(m.weight, 0, 0.02)
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.normal_(m.weight, 1, 0.02)
                nn.init.zeros_(m.bias)
    g_adam = torch.optim.Adam(generator.parameters(), args.lr, betas=(0.5, 0.999))
    d_adam = torch.optim.Adam(discriminator.parameters(), args.d_lr or args.lr, betas=(0.5, 0.999))
    bce = F.binary_cross_entropy_with_logits
    n = args.batch
    real_labels, fake_labels, g_labels = torch.full((n,), args.real_label), torch.zeros(n), torch.ones(n)
    rng = np.random.default_rng(args.seed)
    per_epoch = len(train) // n

    def generate(count, asked):
        """`count` digits from fresh noise, drawing the digits `asked` (None when unconditional)."""
        noise = torch.randn(count, args.latent)
        return generator(noise if asked is None else torch.cat([noise, F.one_hot(asked, 10).float()], 1))

    def ask():
        """The digits a batch of generated ones is asked for: drawn at random."""
        return torch.randint(0, 10, (n,)) if conditional else None

    start = time.perf_counter()
    for step in range(args.steps):
        if step % per_epoch == 0:
            shuffle = torch.from_numpy(rng.permutation(len(train)))
        batch = shuffle[(step % per_epoch) * n:(step % per_epoch + 1) * n]
        real, real_digits = train[batch], train_digits[batch] if conditional else None
        asked = ask()
        fake = generate(n, asked)
        d_loss = (bce(discriminator(real, real_digits), real_labels)
                  + bce(discriminator(fake.detach(), asked), fake_labels))
        d_adam.zero_grad()
        d_loss.backward()
        d_adam.step()
        for k in range(args.g_steps):
            if k:
                asked = ask()
                fake = generate(n, asked)
            g_loss = bce(discriminator(fake, asked), g_labels)
            g_adam.zero_grad()
            g_loss.backward()
            g_adam.step()
        if (step + 1) % 500 == 0:
            print(f"step {step + 1}: d loss {d_loss.item():.3f}, g loss {g_loss.item():.3f}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)

    generator.eval()  # running batch-norm statistics, as `leaky train gan` samples
    with torch.no_grad():
        asked = torch.arange(1000) % 10 if conditional else None
        pixels = ((generate(1000, asked) + 1) * 127.5).round().clamp(0, 255)
        labelled = held_out_digits if conditional else None
        for what, digits, intended in (("generated", pixels.to(torch.uint8), asked),
                                       ("real held-out", held_out, labelled)):
            fraction, per_class, as_intended, inception = score(probabilities(digits), intended)
            as_asked = "" if as_intended is None else f", {100 * as_intended:.1f}% as the digit asked for"
            print(f"{what} digits: {100 * fraction:.1f}% of 1000 recognised with confidence >= 0.9 "
                  f"(per class 0-9: {per_class}){as_asked}, Inception Score {inception:.2f} of 10")


if __name__ == "__main__":
    main()
