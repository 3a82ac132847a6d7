//! Tanhshrink, `x - tanh(x)`, and its derivative `tanh²(x)` in `f32`, from [`exp_neg`] and an
//! odd polynomial near 0.

use super::exp::exp_neg;
use super::tanh::{SMALL as TANH_SMALL, tanh};
use crate::isa::SimdF32;

/// Up to this |x| the polynomial is used; above, `(|x| - 1) + 2e/(1 + e)` with `e = e^-2|x|`, a
/// sum of two non-negative terms (no cancellation).
const SMALL: f32 = 1.0;
/// `x - tanh(x) ≈ x³·P(x²)` on `|x| ≤ 1`: `P[0]` in two parts (`P0_LO`), then `c1`..`c8`
/// (relative error 2^-31.0; `scripts/fit_math.py tanhshrink 8`).
const P: [f32; 9] = [
    0.333_333_34,
    -0.133_333_31,
    0.053_967_625,
    -0.021_862_775,
    0.008_826_959,
    -0.003_479_778_5,
    0.001_243_695_6,
    -0.000_338_585_15,
    4.868_075_5e-5,
];
const P0_LO: f32 = -1.008_362_6e-8;
/// `2^40` and `2^-120`: `x³` is computed as `(x·2^40)³·2^-120`, so that it stays a normal float
/// until the last product, which rounds a subnormal result once.
const UP: f32 = 1_099_511_627_776.0;
const DOWN: f32 = 7.523_164e-37;

/// `tanhshrink(x) = x - tanh(x)`; odd, ±inf at ±inf, NaN gives NaN.
#[inline(always)]
pub(crate) fn tanhshrink<S: SimdF32>(s: S, x: S::V) -> S::V {
    let ax = s.abs(x);
    let u = s.mul(ax, ax);
    let mut q = s.splat(P[8]);
    for &c in P[1..8].iter().rev() {
        q = s.mul_add(q, u, s.splat(c));
    }
    let p = s.add(s.splat(P[0]), s.mul_add(q, u, s.splat(P0_LO)));
    // (x·2^40)³ as cube + cube_lo (exact products by fused multiply-adds), times P, rounded once.
    let up = s.mul(ax, s.splat(UP));
    let sq = s.mul(up, up);
    let sq_lo = s.mul_add(up, up, s.mul(sq, s.splat(-1.0)));
    let cube = s.mul(up, sq);
    let cube_lo = s.mul_add(up, sq_lo, s.mul_add(up, sq, s.mul(cube, s.splat(-1.0))));
    let scaled = s.mul_add(cube, p, s.mul(cube_lo, p));
    let small = s.mul(scaled, s.splat(DOWN));
    let e = exp_neg(s, s.mul(ax, s.splat(-2.0)), 0.0);
    let one = s.splat(1.0);
    let large = s.add(s.sub(ax, one), s.div(s.add(e, e), s.add(one, e)));
    s.or_sign(s.select(s.le(ax, s.splat(SMALL)), small, large), x)
}

/// `tanhshrink'(x) = tanh²(x)`: the square of the tanh kernel's polynomial for |x| < 0.55, and
/// `(1 - e)²/(1 + e)²` with `e = e^-2|x|` (at most 1/3 there) as two fused multiply-adds and a
/// division above; 0 at 0, 1 at ±inf, NaN gives NaN.
#[inline(always)]
pub(crate) fn tanhshrink_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let ax = s.abs(x);
    let t = tanh(s, ax);
    let e = exp_neg(s, s.mul(ax, s.splat(-2.0)), 0.0);
    let one = s.splat(1.0);
    let num = s.mul_add(e, s.sub(e, s.splat(2.0)), one);
    let den = s.mul_add(e, s.add(e, s.splat(2.0)), one);
    s.select(s.lt(ax, s.splat(TANH_SMALL)), s.mul(t, t), s.div(num, den))
}

vector_math!(
    /// Tanhshrink's kernel.
    Tanhshrink: tanhshrink, tanhshrink_derivative
);
