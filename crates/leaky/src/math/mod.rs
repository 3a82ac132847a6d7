//! Vector math for the smooth activations, written once over [`Simd`](crate::kernels) tokens.
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
//! The other smooth kernels (`gelu`, `gelu_tanh`, `silu`, `elu`, `softplus`, `mish`, `softsign`,
//! `tanhshrink`) are within 4 ULP forward and for the derivatives (exhaustive figures in `docs/kernels.md`).
//!
//! Saturation is exact (1 where the correctly rounded value is 1), results that are
//! subnormal in the true function stay subnormal (sigmoid(-100) ≈ 3.7e-44), NaN gives NaN, and
//! tanh keeps the sign of zero. The coefficients are our own near-minimax fits (Lawson's
//! algorithm on Chebyshev nodes, rounded to `f32`).

pub(crate) mod elu;
pub(crate) mod exp;
pub(crate) mod gelu;
pub(crate) mod gelu_tanh;
pub(crate) mod sigmoid;
pub(crate) mod silu;
pub(crate) mod softplus;
pub(crate) mod softsign;
pub(crate) mod tanh;
pub(crate) mod tanhshrink;

use crate::kernels::SimdF32;

/// `a + b` as the rounded sum and its exact error (Knuth's branch-free two-sum).
#[inline(always)]
fn two_sum<S: SimdF32>(s: S, a: S::V, b: S::V) -> (S::V, S::V) {
    let sum = s.add(a, b);
    let b_part = s.sub(sum, a);
    let a_part = s.sub(sum, b_part);
    let err = s.add(s.sub(a, a_part), s.sub(b, b_part));
    (sum, err)
}
