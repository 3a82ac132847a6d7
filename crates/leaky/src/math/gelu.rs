//! GELU (exact) and its derivative in `f32`, from [`exp_neg`] and piecewise polynomials.
//!
//! With `u = |x|` and `E = e^(-u²/2)`: `Φ(-u) = E·M(u)`, `M` smooth and positive (a scaled
//! Mills ratio), so GELU is `x·E·M(u)` for `x ≤ 0` and `x - x·E·M(x)` for `x > 0`, with no
//! cancellation in either tail. The derivative is `Φ(x) + x·φ(x) = E·K(u)` for `x ≤ 0` and
//! `1 - E·K(x)` for `x > 0`, where `K(u) = M(u) - u·φ(0) = (u - u0)·R(u)` vanishes at
//! `u0 ≈ 0.7518`: the factor `u - u0` is computed from a two-part `u0`, so the derivative keeps
//! its relative accuracy next to its root. `M` and `R` are degree-10 polynomials on eight
//! intervals of width 2 (`u ≤ 16`; beyond that `E` is 0), chosen per lane by [`SimdF32::lookup8`].
//! `u²` is split into its rounded value and its exact error (a fused multiply-add), and the
//! error is fed back to first order, `E·(1 - lo/2)`, since the exponential magnifies it by `u²/2`.

use super::compensated::two_sum;
use super::exp::exp_neg;
use crate::isa::SimdF32;

/// `|x|` is clamped here: `E` is 0 beyond, and the last interval ends at 16.
const CLAMP: f32 = 15.9;
/// The root `u0` of `K` in two parts.
const U0_HI: f32 = 0.751_791_54;
const U0_LO: f32 = -1.211_445e-8;
/// `2^-57`, undoing the factor `2^57` on `E` in [`gelu_derivative`].
const SCALE_DOWN: f32 = 6.938_894e-18;
/// The interval centres.
const CENTRE: [f32; 8] = [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0];

/// `M(u) = Φ(-u)·e^(u²/2)` on `[2i, 2i + 2]`, column `i`: rows `c0` (high, low), then `c1`..`c10`
/// of a polynomial in `v = u - (2i + 1)` (relative error ≤ 2^-27 before rounding).
#[rustfmt::skip]
const M: [[f32; 8]; 12] = [
    [0.2615783, 0.12151395, 0.0769193, 0.05589348, 0.04379879, 0.03597489, 0.030509414, 0.026479488],
    [7.0708017e-10, 5.1205734e-10, 2.630692e-09, 1.6628002e-09, -5.1111415e-10, -3.7253325e-10, 3.4394612e-10, 7.605376e-10],
    [-0.137364, -0.034400437, -0.014345756, -0.0076879035, -0.004753181, -0.0032184946, -0.002319892, -0.0017499455],
    [0.06210713, 0.009156321, 0.0025952638, 0.0010390796, 0.00051008194, 0.00028572467, 0.00017540948, 0.0001151539],
    [-0.025085298, -0.0023104663, -0.00045647533, -0.00013811325, -5.414493e-05, -2.5174088e-05, -1.3189889e-05, -7.5450625e-06],
    [0.009255508, 0.0005562094, 7.821606e-05, 1.80678e-05, 5.68742e-06, 2.201743e-06, 9.863951e-07, 4.9235007e-07],
    [-0.0031680153, -0.00012846502, -1.3092307e-05, -2.3354266e-06, -6.0184374e-07, -1.9215338e-07, -7.211854e-08, -3.4028293e-08],
    [0.0010147878, 2.8532324e-05, 2.140683e-06, 2.964509e-07, 6.236884e-08, 1.6358113e-08, 5.3149223e-09, 2.1763773e-09],
    [-0.00030256182, -5.9777526e-06, -3.2334157e-07, -2.683345e-08, 7.744996e-09, -7.982157e-11, -2.0667088e-09, 2.5763758e-09],
    [8.797606e-05, 1.2444274e-06, 4.9180947e-08, 3.32121e-09, -1.2559755e-09, 2.2197383e-10, 1.7550936e-10, -1.4049728e-10],
    [-2.9121391e-05, -3.3411268e-07, -1.6738685e-08, -5.092638e-09, -6.271816e-09, -6.052042e-10, 7.3899614e-10, -1.2052926e-09],
    [7.3042906e-06, 6.562162e-08, 3.1572962e-09, 6.350985e-10, 8.1589135e-10, -2.7400932e-11, -6.337903e-11, 6.8601146e-11],
];

/// `R(u) = (M(u) - u·φ0)/(u - u0)`, laid out as [`M`] (relative error ≤ 2^-29.8).
#[rustfmt::skip]
const R: [[f32; 8]; 12] = [
    [-0.55342185, -0.47829768, -0.4514355, -0.43799794, -0.4299942, -0.42469767, -0.4209383, -0.4181336],
    [2.5383128e-08, 2.861573e-09, 1.1080444e-08, -9.118514e-09, 4.190092e-09, 4.1627284e-09, -1.450456e-09, -1.4315827e-08],
    [0.0689564, 0.019995905, 0.008979658, 0.005020281, 0.0031884173, 0.0021991052, 0.0016064506, 0.00122411],
    [-0.027594708, -0.004821432, -0.0015028439, -0.0006371749, -0.00032471723, -0.00018672016, -0.000116836774, -7.783127e-05],
    [0.010108686, 0.0011168501, 0.00024631215, 7.987529e-05, 3.2803422e-05, 1.576148e-05, 8.461841e-06, 4.9333144e-06],
    [-0.0034382888, -0.00024937445, -3.956748e-05, -9.891533e-06, -3.287449e-06, -1.1933666e-06, -6.103395e-07, -3.1166667e-07],
    [0.0010976695, 5.3871954e-05, 6.217923e-06, 1.2002099e-06, 3.2683863e-07, 1.1137661e-07, 4.52659e-08, 1.8301359e-08],
    [-0.00033105837, -1.1262986e-05, -9.641406e-07, -1.4641572e-07, -3.2239566e-08, -3.722399e-07, -3.2027045e-09, -1.2090707e-09],
    [9.347807e-05, 2.2168324e-06, 1.6962774e-07, 3.128842e-08, 3.1920626e-09, -4.6686355e-10, -1.6759858e-09, 1.8458874e-09],
    [-2.5640127e-05, -4.4312878e-07, -2.2514538e-08, -2.1323006e-09, -3.1537584e-10, 4.1464503e-07, 5.50806e-11, -3.0164343e-11],
    [8.178032e-06, 1.2252825e-07, -6.9014554e-09, -5.874061e-09, 1.4280301e-11, 5.489948e-10, 8.4587704e-10, -7.858607e-10],
    [-2.061501e-06, -2.0638863e-08, -2.2415789e-10, 5.6347366e-12, 4.620246e-13, -1.6582467e-07, -2.6733577e-11, 9.71678e-12],
];

/// The shared first steps: `xc` (x clamped to ±[`CLAMP`], NaN kept), `u = |xc|`, `xc²` in two
/// parts `(hi, lo)`.
#[inline(always)]
fn reduce<S: SimdF32>(s: S, x: S::V) -> (S::V, S::V, S::V, S::V) {
    let xc = s.min(s.splat(CLAMP), s.max(s.splat(-CLAMP), x));
    let u = s.abs(xc);
    let hi = s.mul(xc, xc);
    let lo = s.mul_add(xc, xc, s.mul(hi, s.splat(-1.0)));
    (xc, u, hi, lo)
}

/// The table polynomial at `u`: `c0_hi + (c0_lo + v·(c1 + v·(… + v·c10)))`, `v = u - centre`.
#[inline(always)]
fn table_poly<S: SimdF32>(s: S, table: &[[f32; 8]; 12], u: S::V) -> S::V {
    let i = s.mul(u, s.splat(0.5));
    let v = s.sub(u, s.lookup8(&CENTRE, i));
    let mut p = s.lookup8(&table[11], i);
    for row in table[2..11].iter().rev() {
        p = s.mul_add(p, v, s.lookup8(row, i));
    }
    s.add(
        s.lookup8(&table[0], i),
        s.mul_add(p, v, s.lookup8(&table[1], i)),
    )
}

/// `gelu(x) = x·Φ(x)`; gelu(-0) = -0, gelu(±inf) = +inf, -0; NaN gives NaN.
#[inline(always)]
pub(crate) fn gelu<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (xc, u, hi, lo) = reduce(s, x);
    let m = table_poly(s, &M, u);
    // q = x·M·(1 - lo/2), so that q·e^(-hi/2) = x·M·E.
    let q = s.mul(xc, m);
    let q = s.mul_add(q, s.mul(lo, s.splat(-0.5)), q);
    let e = exp_neg(s, s.mul(hi, s.splat(-0.5)), 0.0);
    // x ≤ 0: q·E (rounded once, also into the subnormals); x > 0: x - q·E.
    s.select(s.le(x, s.splat(0.0)), s.mul(q, e), s.neg_mul_add(q, e, x))
}

/// `gelu'(x) = Φ(x) + x·φ(x)`; 1/2 at 0, 1 at +inf, 0 at -inf; NaN gives NaN.
#[inline(always)]
pub(crate) fn gelu_derivative<S: SimdF32>(s: S, x: S::V) -> S::V {
    let (_, u, hi, lo) = reduce(s, x);
    let r = table_poly(s, &R, u);
    // t = u - u0 as th + tl: th = u - U0_HI rounded, tl its exact error minus U0_LO, so that
    // K = t·R is rounded once.
    let (th, err) = two_sum(s, u, s.splat(-U0_HI));
    let tl = s.sub(err, s.splat(U0_LO));
    // k = K(u)·(1 - lo/2)·2^-57, against E·2^57 from the exponential: in the tail E is far below
    // the normal floats (e^-106 at u ≈ 14.6) while K·E is still a subnormal, so both factors are
    // kept normal and their product is rounded once.
    let k = s.mul_add(th, r, s.mul(tl, r));
    let k = s.mul(
        s.mul_add(k, s.mul(lo, s.splat(-0.5)), k),
        s.splat(SCALE_DOWN),
    );
    let e_up = exp_neg(s, s.mul(hi, s.splat(-0.5)), 57.0);
    s.select(
        s.le(x, s.splat(0.0)),
        s.mul(k, e_up),
        s.neg_mul_add(k, e_up, s.splat(1.0)),
    )
}

vector_math!(
    /// Exact GELU's kernel.
    Gelu: gelu, gelu_derivative
);
