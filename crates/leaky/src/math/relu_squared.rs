//! ReLU², `max(0, x)²`, and its backward in `f32`: a compare, one product and a blend, the
//! scalar definitions' bits in every tier.

use super::VectorMath;
use crate::isa::SimdF32;

/// ReLU²'s kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReluSquared;

impl VectorMath for ReluSquared {
    /// `x <= 0 ? +0 : x·x` (NaN fails `<=` and stays NaN).
    #[inline(always)]
    fn forward<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let zero = s.splat(0.0);
        s.select(s.le(x, zero), zero, s.mul(x, x))
    }

    /// `x <= 0 ? 0 : 2x`.
    #[inline(always)]
    fn derivative<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
        let zero = s.splat(0.0);
        s.select(s.le(x, zero), zero, s.add(x, x))
    }

    /// `x <= 0 ? 0 : g·2x`, a select as in PyTorch (ReLU's backward after the square's), so an
    /// infinite or NaN `g` where the function is flat gives 0.
    #[inline(always)]
    fn backward<S: SimdF32>(&self, s: S, x: S::V, g: S::V) -> S::V {
        let zero = s.splat(0.0);
        s.select(s.le(x, zero), zero, s.mul(g, s.add(x, x)))
    }
}
