//! `v·σ(w)` and SiLU's derivative form `σ(w)·(1 + z·(1 - σ(w)))` for an argument `w` carried in
//! two parts: the shared core of GELU's tanh approximation (`w` a cubic in x, `z = x·w'(x)`) and
//! QuickGELU (`w = z = 1.702·x`).
//!
//! In the negative tail `σ(w) ≈ e^w` turns an absolute error in `w` into a relative error of the
//! result, and `|w|` reaches 100 or more, so `w` comes with the rest of its value `w_lo` (from the
//! exact error of each product and sum) and the results are corrected by it to first order:
//! `σ(w + w_lo) ≈ σ(w)·(1 + (1 - σ(w))·w_lo)`. Below `w = -80` both are `v·e^w` (`v = x` or
//! `1 + z`), from `e^(w + 60)` and `v·e^-60` ([`times_shifted_exp`]), so that subnormal results
//! round once.

use super::compensated::two_sum;
use super::exp::{SHIFT, TAIL, UNSHIFT, exp_neg, times_shifted_exp};
use super::sigmoid::sigmoid_from_exp;
use crate::isa::SimdF32;

/// `w` in two parts, with `e^-|w|` (or in the tail `e^(w + SHIFT)`, normal wherever the
/// results are not 0) and the tail mask.
pub(crate) struct Gate<S: SimdF32> {
    w: S::V,
    w_lo: S::V,
    e: S::V,
    /// `w < TAIL`.
    pub(crate) tail: S::M,
}

impl<S: SimdF32> Gate<S> {
    /// The gate for `w + w_lo`.
    #[inline(always)]
    pub(crate) fn new(s: S, w: S::V, w_lo: S::V) -> Gate<S> {
        let tail = s.lt(w, s.splat(TAIL));
        // w + SHIFT is exact there (|w + SHIFT| < |w| and SHIFT is a multiple of w's ULP).
        let a = s.select(tail, s.add(w, s.splat(SHIFT)), s.neg_abs(w));
        Gate {
            w,
            w_lo,
            e: exp_neg(s, a, 0.0),
            tail,
        }
    }

    /// `x·σ(w + w_lo)` outside the tail: `x·σ(w) = p + p_lo` exactly, times
    /// `1 + (1 - σ(w))·w_lo`. Not finite at `x = ±inf` (the caller selects the limit there).
    #[inline(always)]
    pub(crate) fn times_sigmoid(&self, s: S, x: S::V) -> S::V {
        let sig = sigmoid_from_exp(s, self.w, self.e);
        let p = s.mul(x, sig);
        let p_lo = s.mul_add(x, sig, s.mul(p, s.splat(-1.0)));
        let c = s.mul(s.sub(s.splat(1.0), sig), self.w_lo);
        s.add(p, s.mul_add(p, c, p_lo))
    }

    /// In the tail, `(v + v_lo)·e^(w + w_lo)` rounded once.
    #[inline(always)]
    pub(crate) fn tail_times(&self, s: S, v: S::V, v_lo: S::V) -> S::V {
        times_shifted_exp(s, v, v_lo, UNSHIFT, self.w_lo, self.e)
    }

    /// `σ(w)·(1 + z·(1 - σ(w)))` for `z + z_lo` outside the tail, with `e = e^-|w|`:
    /// `e·((1 + z) + e)/(1 + e)²` for `w < 0` and `((1 + e) + z·e)/(1 + e)²` for `w ≥ 0`; and
    /// `1 + z` in two parts, for the tail ([`Gate::tail_times`]).
    ///
    /// Every sum and product before the quotient is kept as a rounded part and the rest, and so
    /// is `e` corrected by `w_lo`, so that the quotient (a reciprocal and one correction step, as
    /// in the sigmoid) rounds once on top of the exponential's error. Next to the derivative's
    /// root, where `(1 + z) + e` cancels, the caller takes a polynomial instead.
    #[inline(always)]
    pub(crate) fn derivative(&self, s: S, z: S::V, z_lo: S::V) -> (S::V, S::V, S::V) {
        let one = s.splat(1.0);
        let minus = |v| s.mul(v, s.splat(-1.0));
        let (e, w_lo) = (self.e, self.w_lo);
        // e^-|w + lo| = e + e_lo, e_lo = e·(∓lo).
        let negative = s.lt(self.w, s.splat(0.0));
        let e_lo = s.mul(e, s.select(negative, w_lo, minus(w_lo)));
        // (1 + e)² = den + den_lo.
        let d = s.add(one, e);
        let d_lo = s.add(s.sub(e, s.sub(d, one)), e_lo);
        let den = s.mul(d, d);
        let den_lo = s.mul_add(s.add(d, d), d_lo, s.mul_add(d, d, minus(den)));
        // w < 0: e·((1 + z) + e).
        let (one_z, one_z_err) = two_sum(s, one, z);
        let one_z_lo = s.add(one_z_err, z_lo);
        let (sum, sum_err) = two_sum(s, one_z, e);
        let sum_lo = s.add(sum_err, s.add(one_z_lo, e_lo));
        let neg = s.mul(e, sum);
        let neg_lo = s.mul_add(e, sum, minus(neg));
        let neg_lo = s.add(neg_lo, s.mul_add(e, sum_lo, s.mul(e_lo, sum)));
        // w ≥ 0: (1 + e) + z·e.
        let p = s.mul(z, e);
        let p_lo = s.mul_add(z, e, minus(p));
        let p_lo = s.add(p_lo, s.mul_add(z_lo, e, s.mul(z, e_lo)));
        let (pos, pos_err) = two_sum(s, d, p);
        let pos_lo = s.add(pos_err, s.add(d_lo, p_lo));
        let num = s.select(negative, neg, pos);
        let num_lo = s.select(negative, neg_lo, pos_lo);
        // num/den: q0 = num·r, corrected once by the remainder against the two-part values.
        let r = s.recip(den);
        let q0 = s.mul(num, r);
        let rem = s.neg_mul_add(q0, den, num);
        let rem = s.add(rem, s.neg_mul_add(q0, den_lo, num_lo));
        (s.mul_add(rem, r, q0), one_z, one_z_lo)
    }
}
