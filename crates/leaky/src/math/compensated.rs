//! Arithmetic that carries its rounding errors, shared by the vector math: a sum with its exact
//! error (two-sum), constants in two `f32` parts and their products, and a quotient corrected
//! once by its remainder. These are what keep the kernels within a few ULP where a plain
//! formula would cancel or round twice.

use crate::isa::SimdF32;

/// `a + b` as the rounded sum and its exact error (Knuth's branch-free two-sum).
#[inline(always)]
pub(crate) fn two_sum<S: SimdF32>(s: S, a: S::V, b: S::V) -> (S::V, S::V) {
    let sum = s.add(a, b);
    let b_part = s.sub(sum, a);
    let a_part = s.sub(sum, b_part);
    let err = s.add(s.sub(a, a_part), s.sub(b, b_part));
    (sum, err)
}

/// `2^-20 ≤ v ≤ 2^20`: the parameter magnitudes that the kernels with parameters (ELU, CELU,
/// Softplus) take; their constants, split in two `f32` parts ([`Split`]), keep their precision
/// there.
pub(crate) fn in_kernel_range(v: f64) -> bool {
    (2f64.powi(-20)..=2f64.powi(20)).contains(&v)
}

/// A constant in two `f32` parts, `hi + lo`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    pub(crate) hi: f32,
    pub(crate) lo: f32,
}

impl Split {
    /// `c·v` as its rounded value and the rest, `(hi, lo)`: `hi + lo` is `c·v` to about 2^-48.
    #[inline(always)]
    pub(crate) fn times_in_two<S: SimdF32>(self, s: S, v: S::V) -> (S::V, S::V) {
        let hi = s.mul(s.splat(self.hi), v);
        let err = s.mul_add(s.splat(self.hi), v, s.mul(hi, s.splat(-1.0)));
        (hi, s.mul_add(s.splat(self.lo), v, err))
    }

    /// `v` as `hi + lo`.
    pub(crate) fn new(v: f64) -> Split {
        let hi = v as f32;
        Split {
            hi,
            lo: (v - f64::from(hi)) as f32,
        }
    }

    /// `c·(v + v_lo)` rounded once, for a `v_lo` small beside `v`.
    #[inline(always)]
    pub(crate) fn times_sum<S: SimdF32>(self, s: S, v: S::V, v_lo: S::V) -> S::V {
        let rest = s.mul_add(s.splat(self.hi), v_lo, s.mul(s.splat(self.lo), v));
        s.mul_add(s.splat(self.hi), v, rest)
    }

    /// `c·v` with one rounding of the main part, and the sign of `hi·v` (also for zeros).
    #[inline(always)]
    pub(crate) fn times<S: SimdF32>(self, s: S, v: S::V) -> S::V {
        let plain = s.mul(s.splat(self.hi), v);
        let fused = s.mul_add(s.splat(self.hi), v, s.mul(s.splat(self.lo), v));
        s.or_sign(s.abs(fused), plain)
    }
}

/// `n/(d + d_lo)` to about one rounding: the quotient corrected once by its remainder (also
/// with AVX-512's 14-bit reciprocal estimate).
#[inline(always)]
pub(crate) fn quotient<S: SimdF32>(s: S, n: S::V, d: S::V, d_lo: S::V) -> S::V {
    let r = s.recip(d);
    let q0 = s.mul(n, r);
    let rem = s.neg_mul_add(q0, d_lo, s.neg_mul_add(q0, d, n));
    s.mul_add(rem, r, q0)
}
