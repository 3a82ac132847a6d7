#!/usr/bin/env python3
"""Near-minimax polynomial fits for the f32 vector math in crates/leaky/src/math/.

Each fit is a weighted least-squares fit on Chebyshev nodes (relative weights), refined by
Lawson's iteration towards the minimax polynomial, with the reference computed by mpmath at
50 digits. The coefficients are rounded to f32 and the printed error is that of the rounded
polynomial (evaluated in f64), relative to the function. Run with numpy and mpmath installed:

    python scripts/fit_math.py gelu      # the GELU tables (8 intervals of width 2)
    python scripts/fit_math.py expm1     # expm1 on [-ln 2, 0]
    python scripts/fit_math.py silu_root # SiLU' near its root
    python scripts/fit_math.py mish_root # Mish' near its root
    python scripts/fit_math.py gelu_tanh_root  # GELU (tanh approximation)' near its root
    python scripts/fit_math.py log1p     # log1p(u) = 2 atanh(s), s in [0, 1/3]
    python scripts/fit_math.py tanhshrink
"""

import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50
PHI0 = 1 / mp.sqrt(2 * mp.pi)


def f32(v):
    return float(np.float32(float(v)))


def fit(f, a, b, degree, nodes=600, iters=60, basis=lambda t: t, exact0=False):
    """Coefficients c[k] of sum c_k * basis(t)^k ~ f(t) on [a, b], minimax in relative error."""
    ts = [mp.mpf(a) + (mp.mpf(b) - a) * (1 - mp.cos(mp.pi * (k + 0.5) / nodes)) / 2 for k in range(nodes)]
    ys = np.array([float(f(t)) for t in ts])
    xs = np.array([float(basis(t)) for t in ts])
    A = np.vander(xs, degree + 1, increasing=True) / ys[:, None]
    rhs = np.ones_like(ys)
    fixed = []  # coefficients already rounded to f32, lowest first
    for k in range(degree + 1):
        # Fit the remaining coefficients with the rounded ones fixed, then round the next one.
        r = rhs - A[:, :k] @ np.array(fixed) if fixed else rhs.copy()
        B = A[:, k:]
        w = np.ones_like(ys)
        for _ in range(iters):
            c, *_ = np.linalg.lstsq(B * np.sqrt(w)[:, None], r * np.sqrt(w), rcond=None)
            err = np.abs(B @ c - r) + 1e-300
            w = w * err
            w /= w.sum()
        fixed.append(c[0] if k == 0 and exact0 else f32(c[0]))
    c32 = np.array(fixed)
    err32 = np.max(np.abs(A @ c32 - rhs))
    return c32, err32


def show(name, c, err):
    print(f"// {name}: relative error {err:.3e} = 2^{np.log2(err):.1f}")
    print("[" + ", ".join(repr(float(v)) for v in c) + "],")


def gelu():
    # M(u) = Phi(-u) e^(u^2/2); K(u) = M(u) - u phi0 = (u - u0) R(u).
    M = lambda u: mp.erfc(u / mp.sqrt(2)) / 2 * mp.exp(u * u / 2)
    u0 = mp.findroot(lambda u: M(u) - u * PHI0, 0.75)
    hi = f32(u0)
    lo = f32(u0 - hi)
    print(f"// u0 = {mp.nstr(u0, 20)}, hi = {hi!r}, lo = {lo!r}")
    R = lambda u: (M(u) - u * PHI0) / (u - u0) if abs(u - u0) > mp.mpf(10) ** -20 else mp.diff(lambda t: M(t) - t * PHI0, u0)
    deg = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    for name, g in [("M", M), ("R", R)]:
        rows = []
        worst = 0
        for i in range(8):
            c = 2 * i + 1
            co, err = fit(lambda v: g(v + c), -1, 1, deg, exact0=True)
            rows.append(co)
            worst = max(worst, err)
            print(f"// {name} interval {i}: 2^{np.log2(err):.1f}")
        print(f"// {name}: worst 2^{np.log2(worst):.1f}; by coefficient, by interval")
        print("[" + ", ".join(repr(f32(r[0])) for r in rows) + "],")
        print("[" + ", ".join(repr(f32(r[0] - f32(r[0]))) for r in rows) + "],")
        for k in range(1, deg + 1):
            print("[" + ", ".join(repr(float(r[k])) for r in rows) + "],")


def expm1():
    # expm1(x) = x + x^2 P(x) on [-ln 2, 0].
    deg = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    P = lambda x: (mp.expm1(x) - x) / (x * x) if x != 0 else mp.mpf(0.5)
    show("expm1 P", *fit(P, -mp.log(2), 0, deg))


def sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def root_fit(name, d, guess, default_degree):
    """Near the root x0 of a derivative d, d(x0 + t) = t Q(t): x0 in two f32 parts, and Q on
    |t| <= w (argv: degree, w)."""
    x0 = mp.findroot(d, guess)
    hi = f32(x0)
    lo = f32(x0 - hi)
    print(f"// x0 = {mp.nstr(x0, 20)}, hi = {hi!r}, lo = {lo!r}")
    deg = int(sys.argv[2]) if len(sys.argv) > 2 else default_degree
    w = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
    Q = lambda t: d(x0 + t) / t if t != 0 else mp.diff(d, x0)
    show(f"{name}' root Q", *fit(Q, -w, w, deg))


def silu_root():
    # SiLU'(x) = sigma(x)(1 + x sigma(-x)).
    root_fit("silu", lambda x: sigmoid(x) * (1 + x * sigmoid(-x)), -1.28, 8)


def gelu_tanh_root():
    # GELU_tanh'(x) = s(w) (1 + x (1 - s(w)) w'), w = k1 (x + 0.044715 x^3), k1 = 2 sqrt(2/pi).
    k1 = 2 * mp.sqrt(2 / mp.pi)
    w = lambda x: k1 * (x + mp.mpf("0.044715") * x**3)
    dw = lambda x: k1 * (1 + 3 * mp.mpf("0.044715") * x**2)
    d = lambda x: sigmoid(w(x)) * (1 + x * (1 - sigmoid(w(x))) * dw(x))
    root_fit("gelu_tanh", d, -0.75, 8)


def mish_root():
    # Mish'(x) = tanh(sp) + x sech^2(sp) sigma(x), sp = log(1 + e^x).
    sp = lambda x: mp.log1p(mp.exp(x))
    root_fit("mish", lambda x: mp.tanh(sp(x)) + x * mp.sech(sp(x)) ** 2 * sigmoid(x), -1.19, 6)


def log1p():
    # log1p(u) = 2 atanh(s) = 2s + 2s^3 P(s^2), s = u/(2+u) in [0, 1/3].
    deg = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    P = lambda w: (mp.atanh(mp.sqrt(w)) - mp.sqrt(w)) / (w * mp.sqrt(w)) if w != 0 else mp.mpf(1) / 3
    show("log1p P(s^2)", *fit(P, 0, mp.mpf(1) / 9, deg))


def tanhshrink():
    # x - tanh(x) = x^3 P(x^2) on |x| <= 1.
    deg = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    P = lambda w: (mp.sqrt(w) - mp.tanh(mp.sqrt(w))) / (w * mp.sqrt(w)) if w != 0 else mp.mpf(1) / 3
    # c0 (close to 1/3) is kept in two f32 parts, so that the relative error near 0 is not
    # that of 1/3 rounded.
    c, err = fit(P, 0, 1, deg, exact0=True)
    hi = f32(c[0])
    print(f"// c0 = {hi!r} + {f32(c[0] - hi)!r}")
    show("tanhshrink P(x^2)", c, err)


if __name__ == "__main__":
    {"gelu": gelu, "expm1": expm1, "silu_root": silu_root, "gelu_tanh_root": gelu_tanh_root, "mish_root": mish_root,
     "log1p": log1p, "tanhshrink": tanhshrink}[sys.argv[1]]()
