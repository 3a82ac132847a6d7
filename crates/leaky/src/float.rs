//! The floating-point types the library computes in: `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::ops::{Add, Div, Mul, Neg, Sub};

mod sealed {
    /// Seals [`Float`](super::Float), and ties it to the kernels' element types and the slice
    /// operations compiled for them.
    pub trait Sealed: crate::kernels::Element + crate::slice_ops::SliceOps {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// An IEEE-754 binary float the activations are defined for (`f32` or `f64`). Sealed.
pub trait Float:
    Copy
    + PartialOrd
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + sealed::Sealed
{
    /// `0.0`.
    const ZERO: Self;
    /// `1.0`.
    const ONE: Self;
    /// The largest finite value.
    const MAX: Self;
    /// The type's name, `"f32"` or `"f64"`.
    const NAME: &'static str;

    /// Converts from `f64`, rounding to nearest (as `as` does).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Evaluates a function defined on `f64` and rounds its result once to `Self`.
    ///
    /// This is how the smooth activations are defined for `f32`: the `f64` formula, rounded once,
    /// which is within 0.5 ULP (plus a 2^-29 relative double-rounding term) of the true value.
    #[inline(always)]
    fn via_f64(self, f: impl Fn(f64) -> f64) -> Self {
        Self::from_f64(f(self.to_f64()))
    }
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MAX: Self = f32::MAX;
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const MAX: Self = f64::MAX;
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn via_f64(self, f: impl Fn(f64) -> f64) -> Self {
        f(self)
    }
}
