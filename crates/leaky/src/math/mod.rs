//! Vector math for the smooth activations, written once over the instruction-set layer's
//! [`SimdF32`] tokens; each activation's kernel is a type implementing [`VectorMath`].
//!
//! Each function evaluates lane by lane what its scalar counterpart in [`crate::scalar`] defines,
//! in `f32`, with a bound on the error measured in ULPs of the correctly rounded result:
//!
//! | function | bound (ULP) | maximum over all 2^32 inputs (AVX-512) |
//! |---|---|---|
//! | `sigmoid` | 2 | 1.496 |
//! | `sigmoid_derivative` | 3 | 2.379 |
//! | `tanh` | 2 | 1.479 |
//! | `tanh_derivative` | 3 | 2.379 |
//!
//! The other smooth kernels (`gelu`, `gelu_tanh`, `quick_gelu`, `silu`, `elu`, `softplus`, `mish`,
//! `softsign`, `tanhshrink`) are within 4 ULP forward and for the derivatives (exhaustive figures in `docs/kernels.md`).
//!
//! Saturation is exact (1 where the correctly rounded value is 1), results that are
//! subnormal in the true function stay subnormal (sigmoid(-100) ≈ 3.7e-44), NaN gives NaN, and
//! tanh keeps the sign of zero. The coefficients are our own near-minimax fits (Lawson's
//! algorithm on Chebyshev nodes, rounded to `f32`).

use crate::isa::SimdF32;

/// One activation's `f32` vector math, lane by lane on any tier's token: what the slice kernels
/// run for its forward, `f(x)`, and its backward from the input, `g·f'(x)`.
pub(crate) trait VectorMath: Copy + Send + Sync {
    /// `f(x)`.
    fn forward<S: SimdF32>(&self, s: S, x: S::V) -> S::V;
    /// `f'(x)`.
    fn derivative<S: SimdF32>(&self, s: S, x: S::V) -> S::V;
    /// The backward, `g·f'(x)`; a kernel overrides it where PyTorch's backward is a select.
    #[inline(always)]
    fn backward<S: SimdF32>(&self, s: S, x: S::V, g: S::V) -> S::V {
        s.mul(g, self.derivative(s, x))
    }
}

/// Declares a unit type whose [`VectorMath`] is a forward and a derivative function of the
/// module it stands in.
macro_rules! vector_math {
    ($(#[$doc:meta])* $name:ident: $forward:ident, $derivative:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub(crate) struct $name;

        impl $crate::math::VectorMath for $name {
            #[inline(always)]
            fn forward<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
                $forward(s, x)
            }
            #[inline(always)]
            fn derivative<S: SimdF32>(&self, s: S, x: S::V) -> S::V {
                $derivative(s, x)
            }
        }
    };
}

pub(crate) mod compensated;
pub(crate) mod elu;
pub(crate) mod exp;
pub(crate) mod gelu;
pub(crate) mod gelu_tanh;
pub(crate) mod quick_gelu;
pub(crate) mod relu_squared;
pub(crate) mod sigmoid;
pub(crate) mod sigmoid_gate;
pub(crate) mod silu;
pub(crate) mod softplus;
pub(crate) mod softsign;
pub(crate) mod tanh;
pub(crate) mod tanhshrink;
