//! Sigmoid and its derivative in `f32`, from [`exp_neg`].

use super::exp::exp_neg;
use crate::kernels::SimdF32;

/// `σ(x) = 1/(1 + e^-x)`, evaluated as `(x > 0 ? 1 : e)/(1 + e)` with `e = e^-|x|`: one
/// division, no cancellation, subnormal results kept (the sum rounds to 1 there).
#[inline(always)]
pub(crate) fn sigmoid<S: SimdF32>(s: S, x: S::V) -> S::V {
    let e = exp_neg(s, s.sub(s.splat(0.0), s.abs(x)), 0.0);
    let one = s.splat(1.0);
    let num = s.select(s.gt(x, s.splat(0.0)), one, e);
    s.div(num, s.add(one, e))
}

/// `σ'(x) = t/(1 + t)²` with `t = e^-|x|` (the scalar definition's form).
#[inline(always)]
pub(crate) fn sigmoid_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let t = exp_neg(s, s.sub(s.splat(0.0), s.abs(x)), 0.0);
    let d = s.add(s.splat(1.0), t);
    s.div(t, s.mul(d, d))
}
