//! SiLU and its derivative in `f32`, from [`exp_neg`].

use super::compensated::two_sum;
use super::exp::exp_or_half;
use super::sigmoid::sigmoid_from_exp;
use crate::isa::SimdF32;

/// Inputs are clamped here (NaN kept), so that `-inf` gives `-inf·0` nowhere.
const FLOOR: f32 = -250.0;
/// The root of SiLU' in two parts.
const X0_HI: f32 = -1.278_464_6;
const X0_LO: f32 = 1.297_928_3e-8;
/// Within this distance of the root, SiLU'(x0 + t) = t·Q(t).
const ROOT_WINDOW: f32 = 0.25;
/// `Q`, degree 7 (relative error 2^-26.7; `scripts/fit_math.py silu_root 7`).
const Q: [f32; 8] = [
    0.217_811_7,
    0.146_648_8,
    0.018_875_394,
    -0.015_222_143,
    -0.006_631_182,
    0.000_106_848_79,
    0.001_057_617,
    0.000_385_364_87,
];

/// `silu(x) = x·σ(x)`: `x` times the sigmoid kernel's `σ`, and `(x·h)·h` in the tail.
/// silu(-inf) = -0, silu(+inf) = +inf, NaN gives NaN.
#[inline(always)]
pub(crate) fn silu<S: SimdF32>(s: S, x: S::V) -> S::V {
    let x = s.max(s.splat(FLOOR), x);
    let (e, tail) = exp_or_half(s, x);
    let main = s.mul(x, sigmoid_from_exp(s, x, e));
    s.select(tail, s.mul(s.mul(x, e), e), main)
}

/// `silu'(x) = σ(x)·(1 + x·σ(-x))`, evaluated with `e = e^-|x|` as `num/(1 + e)²`,
/// `num = e·((1 + x) + e)` for x < 0 (the sum is exact but for its last rounding) and
/// `(1 + e) + x·e` for x ≥ 0; `((1 + x)·h)·h` in the tail; and next to the root x0 ≈ -1.2785,
/// where `(1 + x) + e` cancels, `t·Q(t)` with `t = x - x0` from a two-part x0.
#[inline(always)]
pub(crate) fn silu_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let x = s.min(s.splat(-FLOOR), s.max(s.splat(FLOOR), x));
    let (e, tail) = exp_or_half(s, x);
    let one_x = s.add(one, x);
    // x < 0: e·((1 + x) + e) with the sum as a rounded part and its exact error, so that the
    // product is rounded once.
    let (sum, sum_err) = two_sum(s, one_x, e);
    let neg = s.mul_add(e, sum, s.mul(e, sum_err));
    let pos = s.mul_add(x, e, s.add(one, e));
    let num = s.select(s.lt(x, s.splat(0.0)), neg, pos);
    // (1 + e)² from 1 + e and its exact error (1 ≥ e, so Fast2Sum), rounded once.
    let d = s.add(one, e);
    let d_err = s.sub(e, s.sub(d, one));
    let den = s.mul_add(d, d, s.mul(s.add(d, d), d_err));
    let main = s.div(num, den);
    let (root, near) = near_root(s, s.sub(s.sub(x, s.splat(X0_HI)), s.splat(X0_LO)));
    let main = s.select(near, root, main);
    s.select(tail, s.mul(s.mul(one_x, e), e), main)
}

/// `silu'(x0 + t) = t·Q(t)`, and whether `t` is close enough to the root x0 ≈ -1.2785 for it.
#[inline(always)]
pub(crate) fn near_root<S: SimdF32>(s: S, t: S::V) -> (S::V, S::M) {
    let mut q = s.splat(Q[7]);
    for &c in Q[..7].iter().rev() {
        q = s.mul_add(q, t, s.splat(c));
    }
    (s.mul(t, q), s.lt(s.abs(t), s.splat(ROOT_WINDOW)))
}

vector_math!(
    /// SiLU's kernel.
    Silu: silu, silu_derivative
);
