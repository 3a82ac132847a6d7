//! Softsign and its derivative in `f32`: one compensated division each.

use super::compensated::quotient;
use crate::isa::SimdF32;

/// `(d, d_lo)`: `d = 1 + |x|` rounded and its exact rounding error (two-sum).
#[inline(always)]
fn one_plus_abs<S: SimdF32>(s: S, ax: S::V) -> (S::V, S::V) {
    let one = s.splat(1.0);
    let d = s.add(one, ax);
    let b = s.sub(d, one);
    let d_lo = s.add(s.sub(one, s.sub(d, b)), s.sub(ax, b));
    (d, d_lo)
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

vector_math!(
    /// Softsign's kernel.
    Softsign: softsign, softsign_derivative
);
