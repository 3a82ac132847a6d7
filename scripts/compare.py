#!/usr/bin/env python3
"""Side-by-side throughput: leaky's kernels, PyTorch (1 and 2 threads), ONNX Runtime, numpy and a copy.

Runs `leaky bench --json` and the same operations at the same sizes through PyTorch and numpy in
one run (size by size, interleaved, `--rounds` times, each case keeping its best round), then
prints one Markdown table of ratios. Timing mirrors `leaky bench`: buffers allocated
and written first, a warm-up call, then samples (batches of calls lasting at least ~50 µs) for
`--min-time` seconds; the best sample counts. In-place operations get their input restored,
untimed, before each batch of at most 8 calls, as in `leaky bench`.

    cargo build --release -p leaky-cli
    python scripts/compare.py            # all sizes (4Ki, 256Ki, 4Mi, 64Mi)
    python scripts/compare.py --quick    # without 64Mi, shorter

PyTorch ops use preallocated outputs (`out=` / `grad_input=`) where PyTorch has them. PyTorch's
sigmoid and tanh backward read the forward's *output* (`sigmoid_backward(g, y)`), which is less work
than leaky's backward from the input: the `backward_from_output` rows (leaky's backward from the
output, where the activation allows it) are compared with the peers' same backward ops.

The numpy column compares each activation and direction with its own numpy formula, written the
article's way (plain expressions that allocate their temporaries and result): the article's
`np.maximum(alpha * x, x)` for LeakyReLU forward, `np.where(x > 0, g, alpha * g)` for its
backward, `1 / (1 + np.exp(-x))` for sigmoid, and so on (see `numpy_formulas`).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # the table is still useful without PyTorch
    torch = None

try:
    import onnxruntime as ort
    from onnx import TensorProto, helper
except ImportError:  # nor without ONNX Runtime
    ort = None

ALPHA = 0.01
# The activations measured: leaky's spec for each, all at their defaults but LeakyReLU's α.
ACTIVATIONS = ["leaky_relu", "relu", "sigmoid", "tanh", "gelu", "silu", "elu", "softplus"]
# ONNX Runtime's operator for each (opset 20; it has no SiLU operator, and no backward ones).
ORT_OPS = {
    "leaky_relu": ("LeakyRelu", {"alpha": ALPHA}),
    "relu": ("Relu", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "gelu": ("Gelu", {}),
    "elu": ("Elu", {"alpha": 1.0}),
    "softplus": ("Softplus", {}),
}
SIZES = {"4Ki": 4 << 10, "256Ki": 256 << 10, "4Mi": 4 << 20, "64Mi": 64 << 20}


def best_time(op, min_time, restore=None):
    """Best seconds per call of `op()`, over batches lasting at least ~50 µs."""
    if restore:
        restore()
    t = time.perf_counter()
    op()
    once = max(time.perf_counter() - t, 2e-8)
    batch = int(min(8 if restore else 4096, max(1, 50e-6 / once)))
    best = float("inf")
    samples = 0
    start = time.perf_counter()
    while samples < 5 or time.perf_counter() - start < min_time:
        if restore:
            restore()
        t = time.perf_counter()
        for _ in range(batch):
            op()
        best = min(best, (time.perf_counter() - t) / batch)
        samples += 1
    return best


def data(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.random(n, dtype=np.float32) * 16.0 - 8.0).astype(np.float32)


def numpy_formulas(x, g):
    """Each activation and direction as numpy code written the article's way: the plain formula,
    allocating its temporaries and result (the article's LeakyReLU is `np.maximum(alpha * x, x)`).
    Backward passes take the input `x` and the incoming gradient `g`, as leaky's do; the in-place
    forwards are compared with the same formula (numpy has no in-place form of it)."""
    a = ALPHA

    def sigmoid_backward():
        s = 1 / (1 + np.exp(-x))
        return g * s * (1 - s)

    forward = {
        "leaky_relu": lambda: np.maximum(a * x, x),
        "relu": lambda: np.maximum(x, 0),
        "sigmoid": lambda: 1 / (1 + np.exp(-x)),
        "tanh": lambda: np.tanh(x),
    }
    backward = {
        "leaky_relu": lambda: np.where(x > 0, g, a * g),
        "relu": lambda: np.where(x > 0, g, 0),
        "sigmoid": sigmoid_backward,
        "tanh": lambda: g * (1 - np.tanh(x) ** 2),
    }
    cases = {}
    for act, op in forward.items():
        cases[(act, "forward")] = op
        cases[(act, "forward_in_place")] = op
    for act, op in backward.items():
        cases[(act, "backward")] = op
    return cases


def numpy_cases(n, min_time):
    x = data(n, 1)
    g = data(n, 2)
    y = np.empty_like(x)
    y[:] = 0.0
    out = {("copy", "copy"): best_time(lambda: np.copyto(y, x), min_time)}
    for key, op in numpy_formulas(x, g).items():
        if key[1] == "forward_in_place" and (key[0], "forward") in out:
            out[key] = out[(key[0], "forward")]
        else:
            out[key] = best_time(op, min_time)
    return out


def torch_cases(n, threads, min_time):
    torch.set_num_threads(threads)
    x = torch.from_numpy(data(n, 1))
    g = torch.from_numpy(data(n, 2))
    y = torch.from_numpy(data(n, 3))
    w = x.clone()
    aten = torch.ops.aten
    nn = torch._C._nn
    restore = lambda: w.copy_(x)  # noqa: E731
    cases = {
        ("copy", "copy"): (lambda: y.copy_(x), None),
        ("leaky_relu", "forward"): (lambda: nn.leaky_relu(x, ALPHA, out=y), None),
        ("leaky_relu", "forward_in_place"): (lambda: nn.leaky_relu_(w, ALPHA), restore),
        ("leaky_relu", "backward"): (
            lambda: aten.leaky_relu_backward.grad_input(g, x, ALPHA, False, grad_input=y),
            None,
        ),
        ("relu", "forward"): (lambda: torch.clamp_min(x, 0.0, out=y), None),
        ("relu", "forward_in_place"): (lambda: torch.relu_(w), restore),
        ("relu", "backward"): (
            lambda: aten.threshold_backward.grad_input(g, x, 0.0, grad_input=y),
            None,
        ),
        ("sigmoid", "forward"): (lambda: torch.sigmoid(x, out=y), None),
        ("sigmoid", "forward_in_place"): (lambda: torch.sigmoid_(w), restore),
        ("sigmoid", "backward"): (
            lambda: aten.sigmoid_backward.grad_input(g, x, grad_input=y),
            None,
        ),
        ("tanh", "forward"): (lambda: torch.tanh(x, out=y), None),
        ("tanh", "forward_in_place"): (lambda: torch.tanh_(w), restore),
        ("tanh", "backward"): (
            lambda: aten.tanh_backward.grad_input(g, x, grad_input=y),
            None,
        ),
        ("gelu", "forward"): (lambda: nn.gelu(x, out=y), None),
        ("gelu", "forward_in_place"): (lambda: nn.gelu_(w), restore),
        ("gelu", "backward"): (
            lambda: aten.gelu_backward.grad_input(g, x, grad_input=y),
            None,
        ),
        ("silu", "forward"): (lambda: nn.silu(x, out=y), None),
        ("silu", "forward_in_place"): (lambda: nn.silu_(w), restore),
        ("silu", "backward"): (
            lambda: aten.silu_backward.grad_input(g, x, grad_input=y),
            None,
        ),
        ("elu", "forward"): (lambda: nn.elu(x, out=y), None),
        ("elu", "forward_in_place"): (lambda: nn.elu_(w), restore),
        ("elu", "backward"): (
            lambda: aten.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, x, grad_input=y),
            None,
        ),
        ("softplus", "forward"): (lambda: nn.softplus(x, 1.0, 20.0, out=y), None),
        ("softplus", "backward"): (
            lambda: aten.softplus_backward.grad_input(g, x, 1.0, 20.0, grad_input=y),
            None,
        ),
    }
    return {k: best_time(op, min_time, r) for k, (op, r) in cases.items()}


def ort_cases(n, threads, min_time):
    """ONNX Runtime's forward of each activation it has, on `threads` intra-op threads, reading
    and writing preallocated numpy arrays through an IO binding (no allocation per call)."""
    x = data(n, 1)
    y = np.empty_like(x)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    cases = {}
    for act, (op, attributes) in ORT_OPS.items():
        vector = [helper.make_tensor_value_info(v, TensorProto.FLOAT, [n]) for v in "xy"]
        graph = helper.make_graph([helper.make_node(op, ["x"], ["y"], **attributes)], act,
                                  vector[:1], vector[1:])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
        model.ir_version = 9  # what ONNX Runtime 1.16 and later read
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        binding = session.io_binding()
        binding.bind_cpu_input("x", x)
        binding.bind_output("y", "cpu", 0, np.float32, [n], y.ctypes.data)
        cases[(act, "forward")] = best_time(lambda: session.run_with_iobinding(binding), min_time)
    return cases


def find_leaky(explicit):
    if explicit:
        return explicit
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = []
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(os.path.join(os.environ["CARGO_TARGET_DIR"], "release", "leaky"))
    candidates.append(os.path.join(here, "target", "release", "leaky"))
    for c in candidates:
        if os.path.exists(c):
            return c
    found = shutil.which("leaky")
    if found:
        return found
    sys.exit("compare.py: no leaky binary found; run `cargo build --release -p leaky-cli` "
             "or pass --leaky PATH")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--leaky", help="path to the leaky binary (default: the release build)")
    p.add_argument("--quick", action="store_true", help="no 64Mi, shorter runs")
    p.add_argument("--sizes", default=None, help="comma-separated, e.g. 256Ki,4Mi")
    p.add_argument("--threads", type=int, default=2, help="leaky's threads (default 2)")
    p.add_argument("--min-time", type=float, default=None, help="seconds per case")
    p.add_argument("--rounds", type=int, default=2,
                   help="measure everything this many times, interleaved, and keep each case's best")
    p.add_argument("--json", help="also write every raw figure to this file")
    args = p.parse_args()

    names = args.sizes.split(",") if args.sizes else (
        ["4Ki", "256Ki", "4Mi"] if args.quick else list(SIZES))
    sizes = [(name, SIZES[name]) for name in names]
    min_time = args.min_time or (0.1 if args.quick else 0.3)

    leaky = find_leaky(args.leaky)

    def run_leaky(name):
        cmd = [leaky, "bench", "--json", "--dtypes", "f32", "--threads", str(args.threads),
               "--min-time", str(min_time), "--sizes", name,
               *ACTIVATIONS]
        print(f"running {' '.join(cmd)}", file=sys.stderr)
        return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    def keep_best(old, new):
        """Per case, the faster of two measurements (dicts of seconds, or leaky's records)."""
        if old is None:
            return new
        if isinstance(new, dict):
            return {k: keep_best(old.get(k), v) for k, v in new.items()}
        return min(old, new)

    # Each size is measured for leaky and its peers back to back, in `--rounds` rounds, and each
    # case keeps its best round: on a shared machine the load changes from minute to minute, and
    # this way every party gets the same chances at a quiet moment.
    ours = None
    peers = {name: {} for name, _ in sizes}
    best_leaky = {}
    for round_ in range(args.rounds):
        for name, n in sizes:
            run = run_leaky(name)
            ours = ours or {"cpu": run.get("cpu", "unknown CPU"), "tier": run["tier"],
                            "threads": run["threads"], "results": []}
            for r in run["results"]:
                key = (r["activation"], r["direction"], r["elements"])
                if key not in best_leaky or r["best_s"] < best_leaky[key]["best_s"]:
                    best_leaky[key] = r
            print(f"numpy/PyTorch at {name} (round {round_ + 1})", file=sys.stderr)
            peers[name]["numpy"] = keep_best(peers[name].get("numpy"), numpy_cases(n, min_time))
            if torch is not None:
                for t in (1, 2):
                    key = f"torch{t}"
                    peers[name][key] = keep_best(peers[name].get(key), torch_cases(n, t, min_time))
            if ort is not None:
                peers[name]["ort"] = keep_best(peers[name].get("ort"),
                                               ort_cases(n, args.threads, min_time))
    # Ratios against the copy of the same round would mix rounds; recompute against the best copy.
    copies = {r["elements"]: r["best_s"] for r in best_leaky.values() if r["activation"] == "copy"}
    for r in best_leaky.values():
        r["vs_copy"] = copies[r["elements"]] / r["best_s"]
    ours["results"] = list(best_leaky.values())

    def gelem(n, seconds):
        return n / seconds / 1e9

    rows = []
    header = ("| activation | direction | size | leaky Gelem/s | ×copy | ×PyTorch 1t | ×PyTorch 2t "
              "| ×ONNX Runtime | ×best peer | ×numpy formula ² | PyTorch 2t Gelem/s |")
    rows.append(header)
    rows.append("|" + "---|" * 11)
    checks = []
    by_size = {v: k for k, v in SIZES.items()}
    for r in ours["results"]:
        size = by_size[r["elements"]]
        n = r["elements"]
        act = r["activation"].split(":")[0]
        direction = r["direction"]
        peer = peers[size]
        t = r["best_s"]
        # The peers have one backward per activation; leaky's two are both compared with it.
        peer_direction = "backward" if direction == "backward_from_output" else direction
        key = ("copy", "copy") if act == "copy" else (act, peer_direction)
        ratios = []
        times = []
        for th in ("torch1", "torch2", "ort"):
            if th in peer and key in peer[th]:
                ratios.append(f"{peer[th][key] / t:.2f}")
                times.append(peer[th][key])
            else:
                ratios.append("–")
        best = f"{min(times) / t:.2f}" if times else "–"
        formula = peer["numpy"][key] / t if key in peer["numpy"] else None
        if times and act != "copy" and size in ("256Ki", "4Mi"):
            checks.append((f"{act} {direction} {size} ≥ 1× best peer", min(times) / t, 1.0))
        if formula is not None and act != "copy":
            checks.append((f"{act} {direction} {size} ≥ 5× numpy formula", formula, 5.0))
        if act == "leaky_relu" and direction == "forward" and size == "64Mi":
            checks.append(("leaky_relu forward 64Mi ≥ 0.9× copy", r["vs_copy"], 0.9))
        if (act == "leaky_relu" and direction in ("forward", "backward")
                and size in ("256Ki", "4Mi") and times):
            checks.append((f"leaky_relu {direction} {size} ≥ 1.5× PyTorch best",
                           min(times) / t, 1.5))
        if (act in ("sigmoid", "tanh") and direction == "forward" and size in ("256Ki", "4Mi")
                and "torch2" in peer):
            checks.append((f"{act} forward {size} ≥ 2× PyTorch 2t", peer["torch2"][key] / t, 2.0))
        torch2 = (f"{gelem(n, peer['torch2'][key]):.2f}" if "torch2" in peer and key in peer["torch2"]
                  else "–")
        note = " ¹" if act in ("sigmoid", "tanh") and direction == "backward" else ""
        rows.append(f"| {act} | {direction}{note} | {size} | {r['gelem_per_s']:.2f} | "
                    f"{r['vs_copy']:.2f} | {ratios[0]} | {ratios[1]} | {ratios[2]} | {best} | "
                    f"{'–' if formula is None else f'{formula:.1f}'} | {torch2} |")
    versions = [f"numpy {np.__version__}"]
    if torch is not None:
        versions.append(f"PyTorch {torch.__version__}")
    if ort is not None:
        versions.append(f"ONNX Runtime {ort.__version__} ({args.threads} intra-op threads)")
    print(f"{ours['cpu']}; {', '.join(versions)}")
    print(f"leaky tier {ours['tier']}, {ours['threads']} thread(s); f32; ratios are time(peer) / "
          "time(leaky), measured in this one run (higher is faster for leaky); ×copy: leaky's "
          "threaded copy of the same size.\n")
    print("\n".join(rows))
    print("\n¹ PyTorch's sigmoid/tanh backward reads the forward's output; leaky's `backward` "
          "recomputes from the input; `backward_from_output` reads the output too, the "
          "like-for-like row.\n")
    print("² time(numpy) / time(leaky), numpy evaluating each activation's own formula the "
          "article's way (allocating, from the input): the article's `np.maximum(alpha * x, x)` "
          "for LeakyReLU forward, `np.where(x > 0, g, alpha * g)` for its backward, "
          "`np.maximum(x, 0)` / `np.where(x > 0, g, 0)` for ReLU, `1 / (1 + np.exp(-x))` / "
          "`g * s * (1 - s)` for sigmoid, `np.tanh(x)` / `g * (1 - np.tanh(x) ** 2)` for tanh; "
          "in place: the same formula as the forward; copy: `np.copyto`.\n")
    copies = " · ".join(
        f"{name}: numpy {gelem(n, peers[name]['numpy'][('copy', 'copy')]):.2f}"
        + (f", PyTorch 2t {gelem(n, peers[name]['torch2'][('copy', 'copy')]):.2f}"
           if 'torch2' in peers[name] else "")
        + f", numpy article {gelem(n, peers[name]['numpy'][('leaky_relu', 'forward')]):.2f}"
        for name, n in sizes)
    print(f"Peer Gelem/s — copy and the article's `np.maximum(alpha * x, x)`: {copies}\n")
    failed = [(name, v, want) for name, v, want in checks if v < want]
    print(f"Targets: {len(checks) - len(failed)} of {len(checks)} met in this run.")
    for name, v, want in failed:
        print(f"- missed: {name}: {v:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"leaky": ours, "peers": {s: {k: ({"/".join(kk): vv for kk, vv in v.items()}
                                                      if k in ("torch1", "torch2", "ort", "numpy")
                                                      else v)
                                                  for k, v in p.items()}
                                              for s, p in peers.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
