//! Softplus, LogSigmoid, Mish and Mish' in `f32`, from [`exp_neg`] and a `log1p`.
//!
//! `L(x) = log(1 + e^-|x|)` is `2·atanh(s)` with `u = e^-|x|` and `s = u/(2 + u) ≤ 1/3`:
//! `2s + 2s³·P(s²)`, where `s` is carried in two parts (the rounding error of `2 + u` and the
//! remainder of the quotient are folded back in), so `L` is rounded about once. Then
//! softplus(x) = max(x, 0) + L and log σ(x) = min(x, 0) - L, sums of like signs.

use super::VectorMath;
use super::compensated::{Split, in_kernel_range, quotient, two_sum};
use super::exp::{SHIFT, TAIL, exp_neg, exp_or_half, times_shifted_exp};
use super::sigmoid::{sigmoid, sigmoid_derivative};
use crate::isa::SimdF32;

/// `atanh(s)/s = 1 + s²·P(s²)` on `s ≤ 1/3` (relative error 2^-25 on the `P` term, which is
/// at most 1/27 of the result; `scripts/fit_math.py log1p 5`).
const P: [f32; 6] = [
    0.333_333_34,
    0.200_000_05,
    0.142_851_49,
    0.111_324_76,
    0.087_311_11,
    0.103_982_89,
];

/// The root of Mish' in two parts.
const MISH_X0_HI: f32 = -1.192_431_2;
const MISH_X0_LO: f32 = -3.043_937_5e-9;
/// Within this distance of the root, Mish'(x0 + t) = t·Q(t).
const MISH_ROOT_WINDOW: f32 = 0.25;
/// `Q`, degree 6 (relative error 2^-24.5, that of `Q[0]` rounded to `f32`;
/// `scripts/fit_math.py mish_root 6`).
const MISH_Q: [f32; 7] = [
    0.266_947_93,
    0.204_731_27,
    0.041_904_67,
    -0.020_273_957,
    -0.015_687_615,
    -0.003_268_326_6,
    -0.000_310_581_8,
];

/// `log(1 + e^-|x|)`: ln 2 at 0, `e^-|x|` itself once that is below 2^-26 (also in the
/// subnormals), NaN for NaN.
#[inline(always)]
pub(crate) fn log1p_exp<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (l, l_lo) = log1p(s, exp_neg(s, s.neg_abs(x), 0.0));
    s.add(l, l_lo)
}

/// `log(1 + u)` for `0 ≤ u ≤ 1` as a main part and a small rest: `u` itself below 2^-26.
#[inline(always)]
fn log1p<S: SimdF32>(s: S, u: S::V) -> (S::V, S::V) {
    let two = s.splat(2.0);
    let d = s.add(two, u);
    let d_lo = s.add(s.sub(two, d), u);
    let r = s.recip(d);
    let q0 = s.mul(u, r);
    // u/(d + d_lo) = q0 + rem·r to the precision needed, rem = u - q0·d - q0·d_lo.
    let rem = s.neg_mul_add(q0, d_lo, s.neg_mul_add(q0, d, u));
    let hi = s.mul_add(rem, r, q0);
    let lo = s.mul(s.neg_mul_add(hi, d, s.neg_mul_add(hi, d_lo, u)), r);
    let w = s.mul(hi, hi);
    let mut p = s.splat(P[5]);
    for &c in P[..5].iter().rev() {
        p = s.mul_add(p, w, s.splat(c));
    }
    let rest = s.mul(s.mul_add(s.mul(hi, w), p, lo), two);
    let tiny = s.lt(u, s.splat(1.0 / 67_108_864.0));
    (
        s.select(tiny, u, s.mul(hi, two)),
        s.select(tiny, s.splat(0.0), rest),
    )
}

/// Softplus with β = 1: the `f32` threshold `t` with `x > t` exactly when `x > threshold` in
/// `f64`, for every `f32` x (the threshold rounded down).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Softplus {
    threshold: f32,
}

impl Softplus {
    /// The kernel for β = 1 and `threshold`.
    pub(crate) fn new(threshold: f64) -> Softplus {
        let t = threshold as f32;
        Softplus {
            threshold: if f64::from(t) > threshold {
                t.next_down()
            } else {
                t
            },
        }
    }
}

impl VectorMath for Softplus {
    /// `softplus(x) = x > threshold ? x : max(x, 0) + log(1 + e^-|x|)`.
    #[inline(always)]
    fn forward<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let y = s.add(s.max(x, s.splat(0.0)), log1p_exp(s, x));
        s.select(s.gt(x, s.splat(self.threshold)), x, y)
    }

    /// `x > threshold ? 1 : σ(x)`.
    #[inline(always)]
    fn derivative<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let above = s.gt(x, s.splat(self.threshold));
        s.select(above, s.splat(1.0), sigmoid(s, x))
    }

    /// `x > threshold ? g : g·σ(x)`.
    #[inline(always)]
    fn backward<S: SimdF32>(&self, s: S, x: S::V, g: S::V) -> S::V {
        let d = sigmoid(s, x);
        let above = s.gt(x, s.splat(self.threshold));
        s.select(above, g, s.mul(g, d))
    }
}

/// Softplus with β ≠ 1 (the kernel takes 2^-20 ≤ β ≤ 2^20): β, 1/β and `e^-SHIFT/β` in two
/// parts, and the `f32` threshold on x (`x > t` in `f32` exactly when `β·x > threshold` in `f64`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftplusParams {
    beta: Split,
    inverse: Split,
    tail: (f32, f32),
    threshold: f32,
}

impl SoftplusParams {
    /// The kernel for `beta` and `threshold`, if it takes that β: `2^-20 ≤ β ≤ 2^20`, β ≠ 1
    /// (β = 1 is [`Softplus`]).
    pub(crate) fn new(beta: f64, threshold: f64) -> Option<SoftplusParams> {
        if beta == 1.0 || !in_kernel_range(beta) {
            return None;
        }
        let above = |x: f32| f64::from(x) * beta > threshold;
        let mut t = ((threshold / beta) as f32).clamp(f32::MIN, f32::MAX);
        while t > f32::MIN && above(t) {
            t = t.next_down();
        }
        while t < f32::MAX && !above(t.next_up()) {
            t = t.next_up();
        }
        let tail = (-f64::from(SHIFT)).exp() / beta;
        let tail_hi = tail as f32;
        Some(SoftplusParams {
            beta: Split::new(beta),
            inverse: Split::new(1.0 / beta),
            tail: (tail_hi, (tail - f64::from(tail_hi)) as f32),
            threshold: t,
        })
    }
}

/// `z = β·x` as `(hi, lo)`, with `lo` set to 0 where `hi` is not finite or huge (it is not
/// needed there, and `inf - inf` would make it NaN).
#[inline(always)]
fn scaled<S: SimdF32>(s: S, p: &SoftplusParams, x: S::V) -> (S::V, S::V) {
    let (hi, lo) = p.beta.times_in_two(s, x);
    let lo = s.select(s.lt(s.abs(hi), s.splat(1e30)), lo, s.splat(0.0));
    (hi, lo)
}

impl VectorMath for SoftplusParams {
    /// `softplus_β(x) = β·x > threshold ? x : max(x, 0) + log(1 + e^-|z|)/β`, `z = β·x`, with the
    /// rounding error `lo` of `z` fed back to first order (`L' = ∓σ(-|z|)`), since `L` magnifies it
    /// by up to |z|. Below z = -80 it is `e^z/β`, from `e^(z + SHIFT)` and `e^-SHIFT/β`, so that a
    /// result that is subnormal (or, for β < 1, normal while `e^z` is not) is rounded once. NaN gives
    /// NaN, ±inf as softplus.
    #[inline(always)]
    fn forward<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let (hi, lo) = scaled(s, self, x);
        let tail = s.lt(hi, s.splat(TAIL));
        // z + SHIFT is exact there (|z + SHIFT| < |z|, SHIFT a multiple of z's ULP) or irrelevant.
        let u = exp_neg(
            s,
            s.select(tail, s.add(hi, s.splat(SHIFT)), s.neg_abs(hi)),
            0.0,
        );
        let slope = s.div(u, s.add(s.splat(1.0), u));
        let dz = s.select(s.lt(hi, s.splat(0.0)), lo, s.mul(lo, s.splat(-1.0)));
        let (l, l_lo) = log1p(s, u);
        let l_lo = s.mul_add(slope, dz, l_lo);
        let y = s.add(s.max(x, s.splat(0.0)), self.inverse.times_sum(s, l, l_lo));
        let one = s.splat(1.0);
        let y = s.select(
            tail,
            times_shifted_exp(s, one, s.splat(0.0), self.tail, lo, u),
            y,
        );
        s.select(s.gt(x, s.splat(self.threshold)), x, y)
    }

    /// `softplus_β'(x) = β·x > threshold ? 1 : σ(β·x)`, with `σ(hi + lo) ≈ σ + σ·(1 - σ)·lo`.
    #[inline(always)]
    fn derivative<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let (hi, lo) = scaled(s, self, x);
        let sig = sigmoid(s, hi);
        let d = s.mul_add(sigmoid_derivative(s, hi), lo, sig);
        s.select(s.gt(x, s.splat(self.threshold)), s.splat(1.0), d)
    }
}

/// `log σ(x) = min(x, 0) - log(1 + e^-|x|)`; +0 at +inf, -inf at -inf, NaN for NaN.
#[inline(always)]
fn log_sigmoid<S: SimdF32>(s: S, x: S::V) -> S::V {
    s.sub(s.min(x, s.splat(0.0)), log1p_exp(s, x))
}

/// `mish(x) = x·tanh(softplus(x))`, where tanh(log(1 + e^x)) = `n/(n + 2)` with
/// `n = e^x·(e^x + 2)`: for x < 0 that is used with `e = e^x`; for x ≥ 0, with `e = e^-x`, it is
/// `1 - 2e²/(1 + 2e + 2e²)`; in the tail (x < -80) `mish(x) = x·e^x = (x·h)·h`. No cancellation
/// anywhere. mish(-inf) = -0, mish(+inf) = +inf, NaN gives NaN.
#[inline(always)]
fn mish<S: SimdF32>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let two = s.splat(2.0);
    let x = s.max(s.splat(-250.0), x);
    let (e, tail) = exp_or_half(s, x);
    let n = s.mul_add(e, e, s.add(e, e));
    // n/(n + 2) with the sum's rounding error (two-sum) folded into the quotient.
    let d = s.add(n, two);
    let b = s.sub(d, n);
    let d_lo = s.add(s.sub(n, s.sub(d, b)), s.sub(two, b));
    let neg = quotient(s, n, d, d_lo);
    let e2 = s.mul(s.mul(e, e), two);
    let pos = s.sub(one, s.div(e2, s.add(s.mul_add(e, two, one), e2)));
    let t = s.select(s.lt(x, s.splat(0.0)), neg, pos);
    s.select(tail, s.mul(s.mul(x, e), e), s.mul(x, t))
}

/// `mish'(x) = tanh(sp) + x·sech²(sp)·σ(x)`, `sp = softplus(x)`. With `e = e^-|x|`:
/// for x < 0, `e·B/(n + 2)²` with `n = e·(e + 2)` and `B = 4(1 + x) + e·(6 + 4x + e·(4 + e))`;
/// for x ≥ 0, `1 + e²·C/D²` with `D = 1 + 2e + 2e²` and `C = 4x(1 + e) - 2D`. The base of the
/// square is summed exactly (two-sums), the numerator's product error is kept, and the quotient
/// is rounded about once. Next to the root x0 ≈ -1.1924, where `B` cancels, `t·Q(t)` with
/// `t = x - x0` from a two-part x0; in the tail (x < -80) `((1 + x)·h)·h`, `h = e^(x/2)`.
/// mish'(-inf) = 0, mish'(+inf) = 1, NaN gives NaN.
#[inline(always)]
fn mish_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let two = s.splat(2.0);
    let four = s.splat(4.0);
    let x = s.min(s.splat(250.0), s.max(s.splat(-250.0), x));
    let (e, tail) = exp_or_half(s, x);
    let neg = s.lt(x, s.splat(0.0));
    // The base `n + 2 = 2 + 2e + e²` (x < 0) or `D = 1 + 2e + 2e²` (x ≥ 0) as `base + base_lo`.
    let p = s.mul(e, e);
    let p_lo = s.sub(s.splat(0.0), s.neg_mul_add(e, e, p));
    let k = s.select(neg, one, two);
    let (s1, s1_lo) = two_sum(s, s.select(neg, two, one), s.add(e, e));
    let (base, base_err) = two_sum(s, s1, s.mul(k, p));
    let base_lo = s.mul_add(k, p_lo, s.add(base_err, s1_lo));
    let den = s.mul(base, base);
    let den_lo = s.sub(
        s.mul(s.add(base, base), base_lo),
        s.neg_mul_add(base, base, den),
    );
    // x < 0: e·B, with the rounding error of 1 + x.
    let (one_x, one_x_lo) = two_sum(s, one, x);
    let x4 = s.mul(x, four);
    let inner = s.mul_add(e, s.add(four, e), s.add(s.splat(6.0), x4));
    let b = s.mul_add(e, inner, s.mul(four, one_x));
    let neg_num = s.mul(e, b);
    let neg_lo = s.sub(
        s.mul(s.mul(e, four), one_x_lo),
        s.neg_mul_add(e, b, neg_num),
    );
    // x ≥ 0: e²·C.
    let c = s.sub(s.mul_add(x4, e, x4), s.mul(two, s.add(base, base_lo)));
    let pos_num = s.mul(p, c);
    let pos_lo = s.sub(s.mul(p_lo, c), s.neg_mul_add(p, c, pos_num));
    let num = s.select(neg, neg_num, pos_num);
    let num_lo = s.select(neg, neg_lo, pos_lo);
    // num/den to about one rounding (den + den_lo, num + num_lo).
    let r = s.recip(den);
    let q0 = s.mul(num, r);
    let rem = s.add(
        s.neg_mul_add(q0, den_lo, s.neg_mul_add(q0, den, num)),
        num_lo,
    );
    let q = s.mul_add(rem, r, q0);
    let main = s.select(neg, q, s.add(one, q));
    // Next to the root: (th - lo)·Q(t), th = x - hi exact, rounded once.
    let th = s.sub(x, s.splat(MISH_X0_HI));
    let t = s.sub(th, s.splat(MISH_X0_LO));
    let mut qr = s.splat(MISH_Q[6]);
    for &c in MISH_Q[..6].iter().rev() {
        qr = s.mul_add(qr, t, s.splat(c));
    }
    let root = s.mul_add(th, qr, s.mul(s.splat(-MISH_X0_LO), qr));
    let near = s.lt(s.abs(t), s.splat(MISH_ROOT_WINDOW));
    let main = s.select(near, root, main);
    s.select(tail, s.mul(s.mul(one_x, e), e), main)
}

/// `log σ(x)' = σ(-x)`.
#[inline(always)]
fn log_sigmoid_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    sigmoid(s, s.sub(s.splat(0.0), x))
}

vector_math!(
    /// LogSigmoid's kernel.
    LogSigmoid: log_sigmoid, log_sigmoid_derivative
);

vector_math!(
    /// Mish's kernel.
    Mish: mish, mish_derivative
);
