"""Reference values from PyTorch for leaky-candle's layer ops, for tests/torch_reference.rs.

Writes torch_layers.json next to this file: for each case, the settings, how to build its
inputs, and PyTorch's outputs and gradients (float64, each float printed with repr, so it
reads back to the same bits). Run from the repository root, with torch installed:

    python crates/leaky-candle/tests/reference/torch_layers.py

Inputs come from a formula, not from torch's RNG, so the Rust test rebuilds them exactly:

    value(i, seed) = ((37*i*i + 7919*i + 104729*seed) % 2001 - 1000) / 1024

for the i-th element (row-major) of a tensor, then the listed `set` entries [index, value]
overwrite single elements (exact ties for pooling, a zero patch for the activation's kink).
Every input is a multiple of 2**-10 below 1 in magnitude, so sums of a few hundred products
of them are exact in float64: the convolutions' outputs and gradients carry no rounding.
Each input's exact sum is stored as a check that both sides built the same tensor.

Cases (the gradients are of loss = sum(y * g), g another tensor from the formula):

- conv2d_bias: conv2d with bias, stride 1, padding 1 (2, 3 -> 4 channels, 7x7, 3x3 kernel).
- conv2d_strided: conv2d stride 2, padding 1, 4x4 kernel, no bias (2, 2 -> 3, 8x8).
- conv_transpose2d: stride 2, padding 1, 4x4 kernel, bias (2, 3 -> 2 channels, 4x4 input).
- conv2d_leaky_relu: leaky_relu(conv2d(x, w, b), 0.2), stride 2, padding 1, with some
  pre-activations exactly 0 (PyTorch's gradient there is alpha, as leaky's f'(0) = alpha).
- max_pool2d: max_pool2d(x, 2) of a (2, 3, 5, 7) input with exact ties (PyTorch's gradient
  goes to the first maximum in row-major order) and large values in the dropped last row and
  column. No NaN.
- adamw, adam: two steps of torch.optim.AdamW (decoupled weight decay, as leaky-candle's
  Adam) and of torch.optim.Adam without weight decay, with given gradients; the parameters
  and the moment estimates after each step.
- adamw_skipped_step: three steps where one parameter has no gradient in step 2: PyTorch
  counts steps per parameter (its bias correction at step 3 uses t = 2 for it).
"""

import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def value(i, seed):
    return ((37 * i * i + 7919 * i + 104729 * seed) % 2001 - 1000) / 1024


def spec(shape, seed, set_=()):
    """An input's description: shape, seed and overwritten elements, and its exact sum."""
    n = 1
    for d in shape:
        n *= d
    flat = [value(i, seed) for i in range(n)]
    for i, v in set_:
        flat[i] = v
    return {
        "shape": list(shape),
        "seed": seed,
        "set": [[i, v] for i, v in set_],
        "sum": sum(flat),  # exact: multiples of 2**-10
    }


def build(s, requires_grad=False):
    n = 1
    for d in s["shape"]:
        n *= d
    flat = [value(i, s["seed"]) for i in range(n)]
    for i, v in s["set"]:
        flat[i] = v
    assert sum(flat) == s["sum"]
    t = torch.tensor(flat, dtype=torch.float64).reshape(s["shape"])
    return t.requires_grad_(requires_grad)


def out(t):
    return {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}


def layer_case(f, inputs, g_seed, **settings):
    """Runs y = f(*tensors), loss = sum(y * g); the output and every input's gradient."""
    tensors = {k: build(s, requires_grad=True) for k, s in inputs.items()}
    y = f(**tensors)
    g = {"shape": list(y.shape), "seed": g_seed, "set": []}
    g["sum"] = spec(y.shape, g_seed)["sum"]
    (y * build(g)).sum().backward()
    case = dict(settings)
    case["inputs"] = inputs
    case["g"] = g
    case["y"] = out(y)
    case["grads"] = {k: out(t.grad) for k, t in tensors.items()}
    return case


def index(shape, *ix):
    flat = 0
    for d, i in zip(shape, ix):
        flat = flat * d + i
    return flat


def conv_cases():
    cases = {}
    cases["conv2d_bias"] = layer_case(
        lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
        {"x": spec((2, 3, 7, 7), 1), "w": spec((4, 3, 3, 3), 2), "b": spec((4,), 3)},
        4,
        stride=1,
        padding=1,
    )
    cases["conv2d_strided"] = layer_case(
        lambda x, w: F.conv2d(x, w, None, stride=2, padding=1),
        {"x": spec((2, 2, 8, 8), 5), "w": spec((3, 2, 4, 4), 6)},
        7,
        stride=2,
        padding=1,
    )
    cases["conv_transpose2d"] = layer_case(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
        {"x": spec((2, 3, 4, 4), 8), "w": spec((3, 2, 4, 4), 9), "b": spec((2,), 10)},
        11,
        stride=2,
        padding=1,
    )
    # A zero patch in image 1 and a zero bias for channel 0: the outputs whose 3x3 window
    # (stride 2, padding 1) lies in the patch have a pre-activation of exactly 0.
    xs = (2, 3, 7, 7)
    patch = [(index(xs, 1, c, i, j), 0.0) for c in range(3) for i in range(5) for j in range(5)]
    b = spec((4,), 14, [(0, 0.0)])
    alpha = 0.2
    case = layer_case(
        lambda x, w, b: F.leaky_relu(F.conv2d(x, w, b, stride=2, padding=1), alpha),
        {"x": spec(xs, 12, patch), "w": spec((4, 3, 3, 3), 13), "b": b},
        15,
        stride=2,
        padding=1,
        alpha=alpha,
    )
    z = F.conv2d(build(case["inputs"]["x"]), build(case["inputs"]["w"]), build(b), 2, 1)
    case["zero_pre_activations"] = int((z == 0).sum())
    assert case["zero_pre_activations"] >= 4
    cases["conv2d_leaky_relu"] = case
    return cases


def pool_case():
    shape = (2, 3, 5, 7)
    at = lambda c, i, j, b=0: index(shape, b, c, i, j)  # noqa: E731
    set_ = []
    # Plane (0, 0): one kind of tie per window (windows are rows 2r, 2r+1 and columns 2s, 2s+1).
    windows = {
        (0, 0): [0.5, 0.5, 0.5, 0.5],  # all four
        (0, 1): [0.25, 0.75, 0.75, -0.5],  # top right and bottom left
        (0, 2): [-0.5, -0.25, 0.125, 0.125],  # the bottom pair
        (1, 0): [0.625, -0.125, 0.25, 0.625],  # top left and bottom right
        (1, 1): [-0.375, -0.375, -0.75, -0.875],  # the top pair, negative
        (1, 2): [0.0, -0.0, 0.0, -0.0],  # zeros of both signs
    }
    for (r, s), (t0, t1, b0, b1) in windows.items():
        set_ += [(at(0, 2 * r, 2 * s), t0), (at(0, 2 * r, 2 * s + 1), t1)]
        set_ += [(at(0, 2 * r + 1, 2 * s), b0), (at(0, 2 * r + 1, 2 * s + 1), b1)]
    # The dropped last row and column of plane (0, 0): larger than everything kept.
    set_ += [(at(0, 4, j), 100.0 + j) for j in range(7)]
    set_ += [(at(0, i, 6), 200.0 + i) for i in range(4)]
    # Plane (1, 2): every element equal.
    set_ += [(at(2, i, j, b=1), -0.25) for i in range(5) for j in range(7)]
    case = layer_case(lambda x: F.max_pool2d(x, 2), {"x": spec(shape, 16, set_)}, 17)
    return case


def adam_case(make, params, grads, steps, settings):
    """Steps of an optimiser over named parameters; grads[step][name] (absent: no gradient)."""
    tensors = {k: build(s, requires_grad=True) for k, s in params.items()}
    opt = make(list(tensors.values()))
    after = []
    for step in range(steps):
        for name, t in tensors.items():
            g = grads[step].get(name)
            t.grad = None if g is None else build(g)
        opt.step()
        state = {}
        for name, t in tensors.items():
            st = opt.state.get(t, {})
            state[name] = {
                "param": out(t),
                "m": out(st["exp_avg"]) if st else None,
                "v": out(st["exp_avg_sq"]) if st else None,
            }
        after.append(state)
    return {"settings": settings, "params": params, "grads": grads, "after": after}


def adam_cases():
    params = {"w": spec((2, 3), 20), "b": spec((3,), 21)}
    # Step 1: one gradient element 0 (m = v = 0: no change but the decay) and one tiny
    # (2**-30, where eps dominates the denominator); step 2 of other values.
    grads = [
        {"w": spec((2, 3), 22, [(1, 0.0), (4, 2.0**-30)]), "b": spec((3,), 23)},
        {"w": spec((2, 3), 24, [(1, 0.0)]), "b": spec((3,), 25)},
    ]
    cases = {}
    s = {"lr": 0.05, "beta1": 0.85, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1}
    make = lambda p: torch.optim.AdamW(  # noqa: E731
        p,
        lr=s["lr"],
        betas=(s["beta1"], s["beta2"]),
        eps=s["eps"],
        weight_decay=s["weight_decay"],
        foreach=False,
    )
    cases["adamw"] = adam_case(make, params, grads, 2, s)
    # PyTorch's Adam defaults (leaky-candle's AdamParams::with_lr).
    a = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
    make = lambda p: torch.optim.Adam(p, lr=a["lr"], foreach=False)  # noqa: E731
    cases["adam"] = adam_case(make, params, grads, 2, a)
    # "b" has no gradient in step 2.
    skipped = [grads[0], {"w": grads[1]["w"]}, {"w": spec((2, 3), 26), "b": spec((3,), 27)}]
    make = lambda p: torch.optim.AdamW(  # noqa: E731
        p,
        lr=s["lr"],
        betas=(s["beta1"], s["beta2"]),
        eps=s["eps"],
        weight_decay=s["weight_decay"],
        foreach=False,
    )
    cases["adamw_skipped_step"] = adam_case(make, params, skipped, 3, s)
    return cases


def dump(obj, indent=0):
    """JSON with objects indented and lists of numbers on one line; floats by repr."""
    pad = " " * indent
    if isinstance(obj, dict):
        items = [f'{pad} {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" if items else "{}"
    if isinstance(obj, list):
        if all(isinstance(v, (int, float)) for v in obj) or all(
            isinstance(v, list) for v in obj
        ):
            return "[" + ", ".join(dump(v, indent + 1) for v in obj) + "]"
        items = [pad + " " + dump(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, float):
        assert obj == obj and abs(obj) != float("inf")
        return repr(obj)
    return json.dumps(obj)


def main():
    torch.use_deterministic_algorithms(True)
    doc = {
        "generator": "crates/leaky-candle/tests/reference/torch_layers.py",
        "torch": torch.__version__,
        "dtype": "float64",
        "inputs": "value(i, seed) = ((37*i*i + 7919*i + 104729*seed) % 2001 - 1000) / 1024, "
        "then set[k] = [index, value] overwrites elements; sum is the exact sum",
        "loss": "sum(y * g)",
    }
    doc.update(conv_cases())
    doc["max_pool2d"] = pool_case()
    doc.update(adam_cases())
    path = os.path.join(HERE, "torch_layers.json")
    text = dump(doc) + "\n"
    assert json.loads(text) == json.loads(json.dumps(doc))
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path} ({len(text)} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
