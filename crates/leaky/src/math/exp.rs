//! `e^a · 2^k` for `a ≤ 0`, the building block of sigmoid and tanh.
//!
//! Range reduction: `a = n·ln2 + r` with `n` the nearest integer to `a/ln2` and `|r| ≤ ln2/2`;
//! `e^r` by a degree-7 polynomial (relative error ≤ 2^-28.9 with coefficients in `f32`); then
//! `2^(n+k)` is applied by [`SimdF32::ldexp`] (two multiplications, or AVX-512's one scaling),
//! rounding only once, so that results down in the subnormal range are rounded only once too.

use crate::isa::SimdF32;

/// Below this, `e^a` is below half the smallest subnormal even after `·2^2`: the result is 0.
const A_MIN: f32 = -106.0;
/// `log2(e)`.
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `ln 2` split in two: `LN2_HI` has 11 significant bits, so `n·LN2_HI` is exact for |n| < 2^13.
const LN2_HI: f32 = 0.693_359_4;
/// `ln 2 - LN2_HI`.
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5·2^23`: adding it rounds a float of magnitude below 2^22 to an integer.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// `e^r ≈ 1 + r·(C1 + r·(C2 + ...))` on `|r| ≤ 0.354` (relative error ≤ 2^-28.9 with these
/// `f32` coefficients).
const C: [f32; 7] = [
    1.0,
    0.5,
    0.166_666_66,
    0.041_666_24,
    0.008_333_588,
    0.001_394_820_2,
    0.000_197_647_07,
];

/// `e^a · 2^k` lane by lane, for `a ≤ 0` (positive `a` up to ~0.7 also works) and an integer
/// `k ∈ [0, 64]` (so that the power of two stays a normal float).
///
/// NaN gives NaN; `a = -inf` gives +0.
#[inline(always)]
pub(crate) fn exp_neg<S: SimdF32>(s: S, a: S::V, k: f32) -> S::V {
    // `max(A_MIN, a)` keeps NaN (x86 max returns its second operand when one is NaN).
    let a = s.max(s.splat(A_MIN), a);
    let rounded = s.mul_add(a, s.splat(LOG2_E), s.splat(ROUND_MAGIC));
    let n = s.sub(rounded, s.splat(ROUND_MAGIC));
    let r = s.mul_add(n, s.splat(-LN2_HI), a);
    let r = s.mul_add(n, s.splat(-LN2_LO), r);
    let mut q = s.splat(C[6]);
    for &c in C[..6].iter().rev() {
        q = s.mul_add(q, r, s.splat(c));
    }
    let p = s.mul_add(q, r, s.splat(1.0));
    let n = if k == 0.0 { n } else { s.add(n, s.splat(k)) };
    s.ldexp(p, n)
}

/// Tails of the form `v·e^a` with `a < -80` (where `1 + e^a` is 1) take the exponential of
/// `a + SHIFT`, exact there and a normal float wherever the result is not 0, and put `e^-SHIFT`
/// into the other factor ([`times_shifted_exp`]).
pub(crate) const SHIFT: f32 = 60.0;
/// `e^-SHIFT` in two parts.
pub(crate) const UNSHIFT: (f32, f32) = (8.756_511e-27, -1.300_242_4e-34);

/// `(v + v_lo)·(c + c_lo)·(1 + a_lo)·e` with only the last product rounding (also into the
/// subnormals): a tail `k·v·e^(a + a_lo)` from `e = e^(a + SHIFT)` and `c + c_lo = k·e^-SHIFT`.
#[inline(always)]
pub(crate) fn times_shifted_exp<S: SimdF32>(
    s: S,
    v: S::V,
    v_lo: S::V,
    c: (f32, f32),
    a_lo: S::V,
    e: S::V,
) -> S::V {
    let p = s.mul(v, s.splat(c.0));
    let p_err = s.mul_add(v, s.splat(c.0), s.mul(p, s.splat(-1.0)));
    let p_lo = s.add(p_err, s.mul_add(v_lo, s.splat(c.0), s.mul(v, s.splat(c.1))));
    s.mul(s.add(p, s.mul_add(p, a_lo, p_lo)), e)
}

/// Below this, `1 + e^x` is 1 in `f32` and the result is `x·e^x`, computed as `(x·h)·h` with
/// `h = e^(x/2)` (normal down to x ≈ -174), so that a subnormal result is rounded only once.
pub(crate) const TAIL: f32 = -80.0;
/// `e^-|x|`, or `e^(x/2)` in the tail, and the tail mask.
#[inline(always)]
pub(crate) fn exp_or_half<S: SimdF32>(s: S, x: S::V) -> (S::V, S::M) {
    let tail = s.lt(x, s.splat(TAIL));
    let a = s.select(tail, s.mul(x, s.splat(0.5)), s.neg_abs(x));
    (exp_neg(s, a, 0.0), tail)
}
