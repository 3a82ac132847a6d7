//! The floating-point types the library computes in (`f32` and `f64`), and the element types of
//! the slice operations: those two and the 16-bit storage types.

use std::fmt::{Debug, Display};
use std::ops::{Add, Div, Mul, Neg, Sub};

mod sealed {
    /// Seals [`SliceElement`](super::SliceElement), and ties it to the slice operations compiled
    /// for each type.
    pub trait Sealed: crate::slice_ops::SliceOps {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}

    /// Seals [`Float`](super::Float), and ties it to the kernels' element types.
    pub trait SealedFloat: crate::kernels::Element {}
    impl SealedFloat for f32 {}
    impl SealedFloat for f64 {}
}

/// An element type of the slice operations ([`Activation::forward_slice`] and the others):
/// the [`Float`]s, and the 16-bit storage types [`half::f16`] and [`half::bf16`]. Sealed.
///
/// A 16-bit slice is computed in `f32` and rounded once: each result is the `f32` slice
/// operation's result on the widened input, rounded to nearest (ties to even). NaN in gives a
/// quiet NaN out; ±inf behave as in `f32`; an `f32` result beyond the type's range rounds to ±inf.
///
/// [`Activation::forward_slice`]: crate::Activation::forward_slice
pub trait SliceElement: Copy + Default + Debug + Send + Sync + 'static + sealed::Sealed {
    /// The type's name: `"f32"`, `"f64"`, `"f16"` or `"bf16"`.
    const NAME: &'static str;
}

impl SliceElement for f32 {
    const NAME: &'static str = "f32";
}
impl SliceElement for f64 {
    const NAME: &'static str = "f64";
}
impl SliceElement for half::f16 {
    const NAME: &'static str = "f16";
}
impl SliceElement for half::bf16 {
    const NAME: &'static str = "bf16";
}

/// An IEEE-754 binary float the activations are defined for (`f32` or `f64`). Sealed.
pub trait Float:
    SliceElement
    + PartialOrd
    + Display
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + sealed::SealedFloat
{
    /// `0.0`.
    const ZERO: Self;
    /// `1.0`.
    const ONE: Self;
    /// The largest finite value.
    const MAX: Self;

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
