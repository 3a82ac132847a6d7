//! QuickGELU (CLIP's), `x·σ(1.702·x)`, and its derivative in `f32`, through the sigmoid gate.
//!
//! `w = 1.702·x` is carried in two parts (the constant in two `f32` parts and the product's
//! exact error), since in the negative tail `σ(w) ≈ e^w` turns an error in `w` into a relative
//! error of the result ([`Gate`]). The derivative is SiLU's at `w`, `σ(w)·(1 + w·(1 - σ(w)))`
//! ([`Gate::derivative`] with `z = w`); next to its root x0 ≈ -0.7512 (w0 ≈ -1.2785), where
//! that cancels, it is SiLU's `u·Q(u)` with `u = 1.702·(x - x0)`, `x - x0` from a two-part x0.

use super::compensated::Split;
use super::sigmoid_gate::Gate;
use super::silu::near_root;
use crate::isa::SimdF32;

/// QuickGELU's factor, 1.702.
const SCALE: f64 = 1.702;
/// `|x|` is clamped here (NaN kept): above it σ(1.702·x) is 1 in `f32`, below it the result
/// and the derivative are 0.
const CLAMP: f32 = 70.0;
/// The root of the derivative, `w0/1.702`, in two parts.
const X0_HI: f32 = -0.751_154_24;
const X0_LO: f32 = -1.149_521_4e-8;

/// `x` clamped to ±[`CLAMP`] (NaN kept), and `w = 1.702·x` in two parts.
#[inline(always)]
fn reduce<S: SimdF32>(s: S, x: S::V) -> (S::V, S::V, S::V) {
    let xc = s.min(s.splat(CLAMP), s.max(s.splat(-CLAMP), x));
    let (w, w_lo) = Split::new(SCALE).times_in_two(s, xc);
    (xc, w, w_lo)
}

/// `quick_gelu(x) = x·σ(1.702·x)`; quick_gelu(±inf) = +inf, -0; -0 at -0; NaN gives NaN.
#[inline(always)]
fn quick_gelu<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (xc, w, w_lo) = reduce(s, x);
    let gate = Gate::new(s, w, w_lo);
    let main = gate.times_sigmoid(s, x);
    // Above the clamp σ is 1 (and the product's error would be NaN at +inf).
    let main = s.select(s.gt(x, s.splat(CLAMP)), x, main);
    s.select(gate.tail, gate.tail_times(s, xc, s.splat(0.0)), main)
}

/// `quick_gelu'(x) = silu'(1.702·x)`; 1/2 at 0, 1 at +inf, 0 at -inf; NaN gives NaN.
#[inline(always)]
fn quick_gelu_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (xc, w, w_lo) = reduce(s, x);
    let gate = Gate::new(s, w, w_lo);
    let (main, one_w, one_w_lo) = gate.derivative(s, w, w_lo);
    // x - x0 is exact up to the rounding of the low part; 1.702·(x - x0) rounds once.
    let t = s.sub(s.sub(xc, s.splat(X0_HI)), s.splat(X0_LO));
    let (root, near) = near_root(s, Split::new(SCALE).times(s, t));
    let main = s.select(near, root, main);
    s.select(gate.tail, gate.tail_times(s, one_w, one_w_lo), main)
}

vector_math!(
    /// QuickGELU's kernel.
    QuickGelu: quick_gelu, quick_gelu_derivative
);
