//! Tanh and its derivative in `f32`, from [`exp_neg`] and an odd polynomial near 0.

use super::exp::exp_neg;
use crate::isa::SimdF32;

/// Below this |x| the polynomial is used; above, `1 - 2e/(1 + e)` with `e = e^-2|x|`, which is
/// at least 1/2 there, so the subtraction loses nothing.
pub(super) const SMALL: f32 = 0.55;
/// `tanh(x)/x ≈ 1 + u·P(u)`, `u = x²`, on `|x| ≤ 0.55` (relative error ≤ 2^-27.7).
const P: [f32; 5] = [
    -0.333_333_16,
    0.133_325_86,
    -0.053_852_31,
    0.021_071_678,
    -0.006_274_237_3,
];

/// `tanh(x)`, with the sign of `x` (so tanh(-0) = -0) and NaN kept.
#[inline(always)]
pub(crate) fn tanh<S: SimdF32>(s: S, x: S::V) -> S::V {
    let ax = s.abs(x);
    // Near 0: |x| + |x|·u·P(u).
    let u = s.mul(ax, ax);
    let mut p = s.splat(P[4]);
    for &c in P[..4].iter().rev() {
        p = s.mul_add(p, u, s.splat(c));
    }
    let small = s.mul_add(s.mul(ax, u), p, ax);
    // Elsewhere: 1 - 2e/(1 + e).
    let e = exp_neg(s, s.mul(ax, s.splat(-2.0)), 0.0);
    let one = s.splat(1.0);
    let large = s.sub(one, s.div(s.add(e, e), s.add(one, e)));
    let mag = s.select(s.lt(ax, s.splat(SMALL)), small, large);
    s.or_sign(mag, x)
}

/// `tanh'(x) = 4t/(1 + t)²` with `t = e^-2|x|` (the scalar definition's form); `4t` comes out of
/// the exponential directly (`k = 2`), so it is rounded once even where it is subnormal; the
/// denominator is `1 + t·(t + 2)`, one rounding.
#[inline(always)]
pub(crate) fn tanh_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let t4 = exp_neg(s, s.mul(s.abs(x), s.splat(-2.0)), 2.0);
    let t = s.mul(t4, s.splat(0.25));
    let d2 = s.mul_add(t, s.add(t, s.splat(2.0)), s.splat(1.0));
    s.div(t4, d2)
}

vector_math!(
    /// Tanh's kernel.
    Tanh: tanh, tanh_derivative
);
