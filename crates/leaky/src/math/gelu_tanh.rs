//! GELU with the tanh approximation, and its derivative, in `f32`, from [`exp_neg`].
//!
//! `gelu(x) = x/2·(1 + tanh(u)) = x·σ(w)` with `w = 2u = x·(K1 + K3·x²)`, `K1 = 2·√(2/π)`,
//! `K3 = K1·0.044715`. In the negative tail `σ(w) ≈ e^w` turns an absolute error in `w` into a
//! relative error of the result, and `|w|` reaches 100, so `w` is carried in two parts: its
//! rounded value and the rest (from the exact error of each product and sum), and the result is
//! corrected by the rest to first order: `σ(hi + lo) ≈ σ(hi)·(1 + (1 - σ(hi))·lo)`.
//!
//! The derivative is `σ(w)·(1 + z·(1 - σ(w)))` with `z = x·w' = x·(K1 + 3·K3·x²)`; with
//! `e = e^-|w|` it is `e·((1 + z) + e)/(1 + e)²` for x < 0 and `((1 + e) + z·e)/(1 + e)²` for
//! x ≥ 0, like SiLU's. Next to its root x0 ≈ -0.7525, where `(1 + z) + e` cancels, it is `t·Q(t)`
//! with `t = x - x0` from a two-part x0. Below `w = -80` both are `v·e^w` (`v = x` or `1 + z`),
//! from `e^(w + 60)` and `v·e^-60` ([`times_shifted_exp`]), so that subnormal results round once.

use super::exp::{SHIFT, UNSHIFT, exp_neg, times_shifted_exp};
use super::sigmoid::sigmoid_from_exp;
use super::silu::TAIL;
use super::two_sum;
use crate::kernels::SimdF32;

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
/// `tools/fit_math.py gelu_tanh_root 6`).
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

/// The shared first steps of the forward and the derivative.
struct Reduced<V, M> {
    /// x clamped to ±[`CLAMP`], NaN kept.
    xc: V,
    /// `w` in two parts.
    w: V,
    w_lo: V,
    /// `e^-|w|`, or in the tail `e^(w + SHIFT)` (normal wherever the results are not 0).
    e: V,
    /// `w < TAIL`.
    tail: M,
}

#[inline(always)]
fn reduce<S: SimdF32>(s: S, x: S::V) -> Reduced<S::V, S::M> {
    let xc = s.min(s.splat(CLAMP), s.max(s.splat(-CLAMP), x));
    let (w, w_lo) = cubic(s, xc, K1, K3);
    let tail = s.lt(w, s.splat(TAIL));
    // w + SHIFT is exact there (|w + SHIFT| < |w| and SHIFT is a multiple of w's ULP).
    let a = s.select(tail, s.add(w, s.splat(SHIFT)), s.neg_abs(w));
    Reduced {
        xc,
        w,
        w_lo,
        e: exp_neg(s, a, 0.0),
        tail,
    }
}

/// `gelu_tanh(x) = x·σ(w)`; gelu_tanh(±inf) = +inf, -0; -0 at -0; NaN gives NaN.
#[inline(always)]
pub(crate) fn gelu_tanh<S: SimdF32>(s: S, x: S::V) -> S::V {
    let Reduced {
        xc,
        w,
        w_lo,
        e,
        tail,
    } = reduce(s, x);
    let sig = sigmoid_from_exp(s, w, e);
    // x·σ(w + lo) = x·σ(w)·(1 + (1 - σ(w))·lo), with x·σ(w) = p + p_lo exactly.
    let p = s.mul(x, sig);
    let p_lo = s.mul_add(x, sig, s.mul(p, s.splat(-1.0)));
    let c = s.mul(s.sub(s.splat(1.0), sig), w_lo);
    let main = s.add(p, s.mul_add(p, c, p_lo));
    // Above the clamp σ is 1 (and p_lo would be NaN at +inf).
    let main = s.select(s.gt(x, s.splat(CLAMP)), x, main);
    s.select(
        tail,
        times_shifted_exp(s, xc, s.splat(0.0), UNSHIFT, w_lo, e),
        main,
    )
}

/// `gelu_tanh'(x) = σ(w)·(1 + z·(1 - σ(w)))`; 1/2 at 0, 1 at +inf, 0 at -inf; NaN gives NaN.
///
/// Every sum and product before the quotient is kept as a rounded part and the rest, and so is
/// `e^-|w|` corrected by `w`'s low part, so that the quotient (a reciprocal and one correction
/// step, as in the sigmoid) rounds once on top of the exponential's error.
#[inline(always)]
pub(crate) fn gelu_tanh_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let minus = |v| s.mul(v, s.splat(-1.0));
    let Reduced {
        xc,
        w,
        w_lo,
        e,
        tail,
    } = reduce(s, x);
    // e^-|w + lo| = e + e_lo, e_lo = e·(∓lo).
    let negative = s.lt(w, s.splat(0.0));
    let e_lo = s.mul(e, s.select(negative, w_lo, minus(w_lo)));
    let (z, z_lo) = cubic(s, xc, K1, K3_DERIVATIVE);
    // (1 + e)² = den + den_lo.
    let d = s.add(one, e);
    let d_lo = s.add(s.sub(e, s.sub(d, one)), e_lo);
    let den = s.mul(d, d);
    let den_lo = s.mul_add(s.add(d, d), d_lo, s.mul_add(d, d, minus(den)));
    // x < 0: e·((1 + z) + e).
    let (one_z, one_z_err) = two_sum(s, one, z);
    let one_z_lo = s.add(one_z_err, z_lo);
    let (sum, sum_err) = two_sum(s, one_z, e);
    let sum_lo = s.add(sum_err, s.add(one_z_lo, e_lo));
    let neg = s.mul(e, sum);
    let neg_lo = s.mul_add(e, sum, minus(neg));
    let neg_lo = s.add(neg_lo, s.mul_add(e, sum_lo, s.mul(e_lo, sum)));
    // x ≥ 0: (1 + e) + z·e.
    let p = s.mul(z, e);
    let p_lo = s.mul_add(z, e, minus(p));
    let p_lo = s.add(p_lo, s.mul_add(z_lo, e, s.mul(z, e_lo)));
    let (pos, pos_err) = two_sum(s, d, p);
    let pos_lo = s.add(pos_err, s.add(d_lo, p_lo));
    let num = s.select(negative, neg, pos);
    let num_lo = s.select(negative, neg_lo, pos_lo);
    // num/den: q0 = num·r, corrected once by the remainder against the two-part values.
    let r = s.recip(den);
    let q0 = s.mul(num, r);
    let rem = s.neg_mul_add(q0, den, num);
    let rem = s.add(rem, s.neg_mul_add(q0, den_lo, num_lo));
    let main = s.mul_add(rem, r, q0);
    let t = s.sub(s.sub(xc, s.splat(X0_HI)), s.splat(X0_LO));
    let mut q = s.splat(Q[6]);
    for &c in Q[..6].iter().rev() {
        q = s.mul_add(q, t, s.splat(c));
    }
    let near = s.lt(s.abs(t), s.splat(ROOT_WINDOW));
    let main = s.select(near, s.mul(t, q), main);
    s.select(
        tail,
        times_shifted_exp(s, one_z, one_z_lo, UNSHIFT, w_lo, e),
        main,
    )
}
