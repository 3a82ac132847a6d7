//! ELU, SELU, CELU and their derivatives in `f32`: `expm1` and a scaled `e^z`, from [`exp_neg`].
//!
//! All three are `x > 0 ? p·x : n·expm1(z)` with derivative `x > 0 ? p' : n'·e^z`, where
//! `z = x` (ELU: `n = α`; SELU: `p = scale`, `n = scale·α`) or `z = x/α` (CELU, α > 0: `n = α`,
//! `n' = 1`). Constants that `f32` cannot hold exactly are applied in two parts (`hi·v + lo·v`
//! with one rounding), and CELU's quotient `x/α` carries its rounding error `zc` (from the exact
//! remainder of the division) into the result to first order, since `e^z` magnifies an error in
//! `z` by `|z|`.

use super::VectorMath;
use super::compensated::{Split, in_kernel_range};
use super::exp::{TAIL, exp_neg};
use crate::isa::SimdF32;

/// Above this, `expm1(z)` is a polynomial; below, `e^z - 1`, which loses at most one bit there.
const SMALL: f32 = -std::f32::consts::LN_2;
/// `expm1(z) = z + z²·P(z)` on `[-ln 2, 0]` (relative error 2^-33 before rounding;
/// `scripts/fit_math.py expm1 7`).
const P: [f32; 8] = [
    0.5,
    0.166_666_67,
    0.041_666_802,
    0.008_334_568,
    0.001_394_074_3,
    0.000_209_403_3,
    3.613_831_4e-5,
    7.080_723e-6,
];

/// The parameters of one of the three functions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EluParams {
    /// `p`, the slope for x > 0 (1 or SELU's scale).
    pub(crate) pos: Split,
    /// `n`, the factor of `expm1` for x ≤ 0.
    pub(crate) neg: Split,
    /// `n'`, the factor of `e^z` in the derivative for x ≤ 0.
    pub(crate) neg_derivative: Split,
    /// CELU's α (> 0), dividing x; `None` for ELU and SELU.
    pub(crate) celu_alpha: Option<Split>,
}

impl EluParams {
    /// ELU with α, if the kernel takes it: `α = 0` or `2^-20 ≤ |α| ≤ 2^20` (see
    /// [`in_kernel_range`]); `None` runs the scalar definitions.
    pub(crate) fn elu(alpha: f64) -> Option<EluParams> {
        (alpha == 0.0 || in_kernel_range(alpha.abs())).then(|| EluParams {
            pos: Split::new(1.0),
            neg: Split::new(alpha),
            neg_derivative: Split::new(alpha),
            celu_alpha: None,
        })
    }

    /// SELU with its scale and α.
    pub(crate) fn selu(scale: f64, alpha: f64) -> EluParams {
        EluParams {
            pos: Split::new(scale),
            neg: Split::new(scale * alpha),
            neg_derivative: Split::new(scale * alpha),
            celu_alpha: None,
        }
    }

    /// CELU with α, if the kernel takes it: `2^-20 ≤ α ≤ 2^20`.
    pub(crate) fn celu(alpha: f64) -> Option<EluParams> {
        (alpha > 0.0 && in_kernel_range(alpha)).then(|| EluParams {
            pos: Split::new(1.0),
            neg: Split::new(alpha),
            neg_derivative: Split::new(1.0),
            celu_alpha: Some(Split::new(alpha)),
        })
    }

    /// `(z, zc)`: `z` = x or `x/α` rounded, `zc` its rounding error to first order; `x` is
    /// clamped so that `z ≥ -200` (where every result has saturated), NaN kept.
    #[inline(always)]
    fn argument<S: SimdF32>(&self, s: S, x: S::V) -> (S::V, S::V) {
        match self.celu_alpha {
            None => (s.max(s.splat(-200.0), x), s.splat(0.0)),
            Some(a) => {
                let x = s.max(s.splat(-200.0 * a.hi), x);
                let z = s.div(x, s.splat(a.hi));
                // x/(hi + lo) = z + (x - z·hi - z·lo)/hi to first order; x - z·hi is exact.
                let rem = s.neg_mul_add(z, s.splat(a.lo), s.neg_mul_add(z, s.splat(a.hi), x));
                (z, s.div(rem, s.splat(a.hi)))
            }
        }
    }
}

/// `expm1(z + zc)` for `z ≤ 0` (≤ 0, so expm1(-0) = -0), to first order in `zc`.
#[inline(always)]
fn expm1<S: SimdF32>(s: S, z: S::V, zc: S::V) -> S::V {
    let e = exp_neg(s, s.min(s.splat(0.0), z), 0.0);
    let mut p = s.splat(P[7]);
    for &c in P[..7].iter().rev() {
        p = s.mul_add(p, z, s.splat(c));
    }
    let small = s.mul_add(s.mul(z, z), p, z);
    let m = s.select(s.gt(z, s.splat(SMALL)), small, s.sub(e, s.splat(1.0)));
    // expm1(z + zc) ≈ expm1(z) + zc·e^z.
    s.neg_abs(s.mul_add(zc, s.add(m, s.splat(1.0)), m))
}

impl VectorMath for EluParams {
    /// The forward: `x > 0 ? p·x : n·expm1(z)`; ±inf give ±inf·p and -n, NaN gives NaN.
    #[inline(always)]
    fn forward<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let (z, zc) = self.argument(s, x);
        let neg = self.neg.times(s, expm1(s, z, zc));
        let pos = self.pos.times(s, x);
        // `lo·inf` may be -inf against `hi·inf`: take the plain product for infinities.
        let pos = s.select(
            s.gt(s.abs(x), s.splat(f32::MAX)),
            s.mul(x, s.splat(self.pos.hi)),
            pos,
        );
        s.select(s.gt(x, s.splat(0.0)), pos, neg)
    }

    /// The derivative: `x > 0 ? p : n'·e^z`, with `e^z = h·h` (`h = e^(z/2)`) in the tail so that
    /// subnormal results are rounded once; NaN gives NaN.
    #[inline(always)]
    fn derivative<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let (z, zc) = self.argument(s, x);
        let z = s.min(s.splat(0.0), z);
        let tail = s.lt(z, s.splat(TAIL));
        let h = exp_neg(s, s.select(tail, s.mul(z, s.splat(0.5)), z), 0.0);
        let n = self.neg_derivative.times(s, h);
        let n = s.mul_add(n, zc, n);
        let neg = s.select(tail, s.mul(n, h), n);
        s.select(s.gt(x, s.splat(0.0)), s.splat(self.pos.hi), neg)
    }
}
