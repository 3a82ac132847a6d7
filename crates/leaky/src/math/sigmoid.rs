//! Sigmoid and its derivative in `f32`, from [`exp_neg`].

use super::exp::exp_neg;
use crate::isa::SimdF32;

/// `σ(x) = 1/(1 + e^-x)`, evaluated as `n/(1 + e)` with `e = e^-|x|` and `n = x > 0 ? 1 : e`:
/// no cancellation, subnormal results kept (the sum rounds to 1 there).
///
/// The quotient is `q0 = n·r` with `r ≈ 1/d` (`d = 1 + e` rounded), corrected once by the
/// remainder against the exact sum `d + lo` (`lo` = the sum's rounding error, exact):
/// `q0 + (n - q0·d - q0·lo)·r`. That leaves the exponential's error and one rounding (≤ 1.4 ULP
/// measured over all inputs) instead of up to 2.3 ULP for a plain `n/d`, and with AVX-512's
/// 14-bit reciprocal estimate it needs no division.
#[inline(always)]
pub(crate) fn sigmoid<S: SimdF32>(s: S, x: S::V) -> S::V {
    sigmoid_from_exp(s, x, exp_neg(s, s.neg_abs(x), 0.0))
}

/// [`sigmoid`] given `e = e^-|x|`, for the kernels that need `e` too.
#[inline(always)]
pub(crate) fn sigmoid_from_exp<S: SimdF32>(s: S, x: S::V, e: S::V) -> S::V {
    let one = s.splat(1.0);
    let num = s.select(s.gt(x, s.splat(0.0)), one, e);
    let d = s.add(one, e);
    let lo = s.add(s.sub(one, d), e);
    let r = s.recip(d);
    let q0 = s.mul(num, r);
    let rem = s.neg_mul_add(q0, lo, s.neg_mul_add(q0, d, num));
    s.mul_add(rem, r, q0)
}

/// `σ'(x) = t/(1 + t)²` with `t = e^-|x|` (the scalar definition's form); the denominator is
/// `1 + t·(t + 2)`, one rounding.
#[inline(always)]
pub(crate) fn sigmoid_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let t = exp_neg(s, s.neg_abs(x), 0.0);
    let d2 = s.mul_add(t, s.add(t, s.splat(2.0)), s.splat(1.0));
    s.div(t, d2)
}

vector_math!(
    /// The logistic sigmoid's kernel.
    Sigmoid: sigmoid, sigmoid_derivative
);
