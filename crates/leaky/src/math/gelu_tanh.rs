//! GELU with the tanh approximation, and its derivative, in `f32`, from the sigmoid gate.
//!
//! `gelu(x) = x/2·(1 + tanh(u)) = x·σ(w)` with `w = 2u = x·(K1 + K3·x²)`, `K1 = 2·√(2/π)`,
//! `K3 = K1·0.044715`, `w` carried in two parts through [`Gate`] (see `sigmoid_gate` for why).
//!
//! The derivative is `σ(w)·(1 + z·(1 - σ(w)))` with `z = x·w' = x·(K1 + 3·K3·x²)`; with
//! `e = e^-|w|` it is `e·((1 + z) + e)/(1 + e)²` for x < 0 and `((1 + e) + z·e)/(1 + e)²` for
//! x ≥ 0, like SiLU's. Next to its root x0 ≈ -0.7525, where `(1 + z) + e` cancels, it is `t·Q(t)`
//! with `t = x - x0` from a two-part x0.

use super::compensated::two_sum;
use super::sigmoid_gate::Gate;
use crate::isa::SimdF32;

/// `|x|` is clamped here (NaN kept): beyond it σ(w) is 1 or the result is 0 in `f32`, and `x³`
/// stays finite.
const CLAMP: f32 = 20.0;
/// `2·√(2/π)` in two parts.
const K1: (f32, f32) = (1.595_769_2, -4.534_068e-8);
/// `2·√(2/π)·0.044715` in two parts.
const K3: (f32, f32) = (0.071_354_814, 2.398_832_5e-9);
/// `3·K3` in two parts (the derivative of `w`).
const K3_DERIVATIVE: (f32, f32) = (0.214_064_45, -2.540_834_2e-10);
/// The root of the derivative in two parts.
const X0_HI: f32 = -0.752_461_43;
const X0_LO: f32 = 1.133_962_8e-8;
/// Within this distance of the root, the derivative is `t·Q(t)`.
const ROOT_WINDOW: f32 = 0.25;
/// `Q`, degree 6 (relative error 2^-25.1, mostly `Q[0]` rounded to `f32`;
/// `scripts/fit_math.py gelu_tanh_root 6`).
const Q: [f32; 7] = [
    0.430_400_1,
    0.387_518_47,
    -0.015_785_467,
    -0.113_943_64,
    -0.016_530_916,
    0.019_525_79,
    0.004_418_567,
];

/// `x·(c1 + c3·x²)` as `(hi, lo)`, `hi + lo` correct to about 2^-44 relative: `w` with
/// `(K1, K3)`, `z` with `(K1, K3_DERIVATIVE)`.
#[inline(always)]
fn cubic<S: SimdF32>(s: S, x: S::V, c1: (f32, f32), c3: (f32, f32)) -> (S::V, S::V) {
    let minus = |v| s.mul(v, s.splat(-1.0));
    let sq = s.mul(x, x);
    let sq_lo = s.mul_add(x, x, minus(sq));
    // c3·x² = t + t_lo.
    let t = s.mul(s.splat(c3.0), sq);
    let t_err = s.mul_add(s.splat(c3.0), sq, minus(t));
    let t_lo = s.mul_add(s.splat(c3.0), sq_lo, s.mul_add(s.splat(c3.1), sq, t_err));
    // c1 + c3·x² = q + q_lo.
    let (q, q_err) = two_sum(s, s.splat(c1.0), t);
    let q_lo = s.add(q_err, s.add(t_lo, s.splat(c1.1)));
    let hi = s.mul(x, q);
    let lo = s.mul_add(x, q_lo, s.mul_add(x, q, minus(hi)));
    (hi, lo)
}

/// `x` clamped to ±[`CLAMP`] (NaN kept), and the gate of `w(x)`: the shared first steps of the
/// forward and the derivative.
#[inline(always)]
fn reduce<S: SimdF32>(s: S, x: S::V) -> (S::V, Gate<S>) {
    let xc = s.min(s.splat(CLAMP), s.max(s.splat(-CLAMP), x));
    let (w, w_lo) = cubic(s, xc, K1, K3);
    (xc, Gate::new(s, w, w_lo))
}

/// `gelu_tanh(x) = x·σ(w)`; gelu_tanh(±inf) = +inf, -0; -0 at -0; NaN gives NaN.
#[inline(always)]
pub(crate) fn gelu_tanh<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (xc, gate) = reduce(s, x);
    let main = gate.times_sigmoid(s, x);
    // Above the clamp σ is 1 (and the product's error would be NaN at +inf).
    let main = s.select(s.gt(x, s.splat(CLAMP)), x, main);
    s.select(gate.tail, gate.tail_times(s, xc, s.splat(0.0)), main)
}

/// `gelu_tanh'(x) = σ(w)·(1 + z·(1 - σ(w)))` ([`Gate::derivative`]), and `t·Q(t)` next to its
/// root; 1/2 at 0, 1 at +inf, 0 at -inf; NaN gives NaN.
#[inline(always)]
pub(crate) fn gelu_tanh_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (xc, gate) = reduce(s, x);
    let (z, z_lo) = cubic(s, xc, K1, K3_DERIVATIVE);
    let (main, one_z, one_z_lo) = gate.derivative(s, z, z_lo);
    let t = s.sub(s.sub(xc, s.splat(X0_HI)), s.splat(X0_LO));
    let mut q = s.splat(Q[6]);
    for &c in Q[..6].iter().rev() {
        q = s.mul_add(q, t, s.splat(c));
    }
    let near = s.lt(s.abs(t), s.splat(ROOT_WINDOW));
    let main = s.select(near, s.mul(t, q), main);
    s.select(gate.tail, gate.tail_times(s, one_z, one_z_lo), main)
}

vector_math!(
    /// The kernel of GELU's tanh approximation.
    GeluTanh: gelu_tanh, gelu_tanh_derivative
);
