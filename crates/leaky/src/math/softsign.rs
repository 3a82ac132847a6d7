//! Softsign and its derivative in `f32`: one compensated division each.

use crate::kernels::SimdF32;

/// `(d, d_lo)`: `d = 1 + |x|` rounded and its exact rounding error (two-sum).
#[inline(always)]
fn one_plus_abs<S: SimdF32>(s: S, ax: S::V) -> (S::V, S::V) {
    let one = s.splat(1.0);
    let d = s.add(one, ax);
    let b = s.sub(d, one);
    let d_lo = s.add(s.sub(one, s.sub(d, b)), s.sub(ax, b));
    (d, d_lo)
}

/// `n/(d + d_lo)` to about one rounding: the quotient corrected once by its remainder (also
/// with AVX-512's 14-bit reciprocal estimate).
#[inline(always)]
pub(super) fn quotient<S: SimdF32>(s: S, n: S::V, d: S::V, d_lo: S::V) -> S::V {
    let r = s.recip(d);
    let q0 = s.mul(n, r);
    let rem = s.neg_mul_add(q0, d_lo, s.neg_mul_add(q0, d, n));
    s.mul_add(rem, r, q0)
}

/// `softsign(x) = x/(1 + |x|)`; ±1 (correctly rounded) for |x| > 2^25 and at ±inf, -0 at -0,
/// NaN gives NaN.
#[inline(always)]
pub(crate) fn softsign<S: SimdF32>(s: S, x: S::V) -> S::V {
    let ax = s.abs(x);
    let (d, d_lo) = one_plus_abs(s, ax);
    let y = s.or_sign(quotient(s, ax, d, d_lo), x);
    s.select(
        s.gt(ax, s.splat(33_554_432.0)),
        s.or_sign(s.splat(1.0), x),
        y,
    )
}

/// `softsign'(x) = 1/(1 + |x|)²`, as `r·r` with `r = 1/(1 + |x|)` (no overflow of the
/// square); 0 at ±inf, NaN gives NaN.
#[inline(always)]
pub(crate) fn softsign_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let ax = s.abs(x);
    let (d, d_lo) = one_plus_abs(s, ax);
    let r = quotient(s, s.splat(1.0), d, d_lo);
    let y = s.mul(r, r);
    s.select(s.gt(ax, s.splat(f32::MAX)), s.splat(0.0), y)
}
