//! The definitions: one scalar forward and one derivative per activation, for `f32` and `f64`.
//!
//! These functions are the reference semantics of the library and the oracle that every faster
//! kernel is tested against. They follow PyTorch, including at the edges:
//!
//! | function | f(NaN) | f(-0) | f(+inf) | f(-inf) | f'(0) | f'(NaN) |
//! |---|---|---|---|---|---|---|
//! | `leaky_relu` | NaN | -0 (α ≥ 0) | +inf | α·(-inf) (NaN when α = 0) | α | α |
//! | `relu` | NaN | +0 | +inf | +0 | 0 | 1 |
//! | `sigmoid` | NaN | 0.5 | 1 | +0 | 1/4 | NaN |
//! | `tanh` | NaN | -0 | 1 | -1 | 1 | NaN |
//!
//! The derivative is what PyTorch's backward gives for an upstream gradient of 1. For the
//! piecewise-linear functions that is a comparison (`x > 0` for LeakyReLU, `y <= 0` for ReLU),
//! which NaN fails, hence the values at NaN in the last column.
//!
//! The smooth functions are written once in `f64` with formulas that keep full relative accuracy
//! in both tails (no `1 - y` cancellation, no overflow of `exp`), and `f32` rounds that result
//! once ([`Float::via_f64`]), so `f32` results are correctly rounded but for rare double-rounding
//! ties.

use crate::Float;

/// LeakyReLU: `x > 0 ? x : α·x`.
///
/// Equal to the seed article's `max(α·x, x)` only for 0 ≤ α ≤ 1; this form is right for any α
/// and keeps NaN. `α·x` is computed in the type of `x`, as PyTorch does.
#[inline(always)]
pub fn leaky_relu<T: Float>(x: T, alpha: T) -> T {
    if x > T::ZERO { x } else { x * alpha }
}

/// Derivative of LeakyReLU: `x > 0 ? 1 : α`, so f'(0) = f'(-0) = α, and f'(NaN) = α as in PyTorch.
#[inline(always)]
pub fn leaky_relu_derivative<T: Float>(x: T, alpha: T) -> T {
    if x > T::ZERO { T::ONE } else { alpha }
}

/// LeakyReLU's backward: `x > 0 ? g : g·α`, PyTorch's select (equal to `g·f'(x)` for finite `g`).
#[inline(always)]
pub fn leaky_relu_backward<T: Float>(x: T, g: T, alpha: T) -> T {
    if x > T::ZERO { g } else { g * alpha }
}

/// ReLU: `x > 0 ? x : 0`, written `x <= 0 ? 0 : x` so that NaN stays NaN. relu(-0) = +0.
#[inline(always)]
pub fn relu<T: Float>(x: T) -> T {
    if x <= T::ZERO { T::ZERO } else { x }
}

/// Derivative of ReLU: `x <= 0 ? 0 : 1`, so f'(0) = 0 and, as in PyTorch's backward, f'(NaN) = 1.
#[inline(always)]
pub fn relu_derivative<T: Float>(x: T) -> T {
    if x <= T::ZERO { T::ZERO } else { T::ONE }
}

/// ReLU's backward: `x <= 0 ? 0 : g`, PyTorch's select, so a NaN or infinite `g` where ReLU is
/// flat gives 0.
#[inline(always)]
pub fn relu_backward<T: Float>(x: T, g: T) -> T {
    if x <= T::ZERO { T::ZERO } else { g }
}

/// Sigmoid: `1 / (1 + e^-x)`.
///
/// Evaluated as `e^x / (1 + e^x)` for x < 0, so that the left tail is exact down to the subnormals
/// (sigmoid(-100) ≈ 3.7e-44 in `f32`, where PyTorch returns 0). sigmoid(±inf) = 1, +0.
#[inline]
pub fn sigmoid<T: Float>(x: T) -> T {
    x.via_f64(sigmoid_f64)
}

/// Derivative of sigmoid: `σ(x)·(1 - σ(x))`, evaluated as `t / (1 + t)²` with `t = e^-|x|`,
/// which keeps full relative accuracy in both tails. f'(0) = 1/4, f'(±inf) = 0.
#[inline]
pub fn sigmoid_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        let t = (-x.abs()).exp();
        t / ((1.0 + t) * (1.0 + t))
    })
}

/// Hyperbolic tangent: `(e^x - e^-x) / (e^x + e^-x)`. tanh(±inf) = ±1, tanh(-0) = -0.
#[inline]
pub fn tanh<T: Float>(x: T) -> T {
    x.via_f64(f64::tanh)
}

/// Derivative of tanh: `1 - tanh²(x)`, evaluated as `4t / (1 + t)²` with `t = e^-2|x|`, which
/// keeps full relative accuracy for large |x|. f'(0) = 1, f'(±inf) = 0.
#[inline]
pub fn tanh_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        let t = (-2.0 * x.abs()).exp();
        4.0 * t / ((1.0 + t) * (1.0 + t))
    })
}

fn sigmoid_f64(x: f64) -> f64 {
    if x < 0.0 {
        let e = x.exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + (-x).exp())
    }
}
