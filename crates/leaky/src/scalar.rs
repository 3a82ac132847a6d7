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
//! which NaN fails, hence the values at NaN in the last column. Where PyTorch's vectorised CPU
//! kernel and its scalar tail loop disagree at NaN (Hardtanh, ReLU6, the shrinks: 0 against 1;
//! ELU, SELU, CELU, Hardswish: NaN against a number), we follow the vectorised kernel, which is
//! what any tensor longer than a few elements gets.
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
    x.via_f64(sigmoid_derivative_f64)
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
    x.via_f64(tanh_derivative_f64)
}

fn sigmoid_f64(x: f64) -> f64 {
    if x < 0.0 {
        let e = x.exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + (-x).exp())
    }
}

// ---------------------------------------------------------------------------------------------
// The rest of PyTorch's family. Piecewise-linear functions compute in the type of `x` exactly as
// PyTorch's CPU kernels do (same operations, same order), so they agree bit for bit. Smooth ones
// are written in `f64` with tail-safe formulas and rounded once for `f32`. Where PyTorch's formula
// gives NaN at ±inf (GELU, SiLU, Mish, Softsign, Hardswish at -inf), these return the limit.
// ---------------------------------------------------------------------------------------------

/// SELU's α: 1.6732632423543772848170429916717.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_2;
/// SELU's scale: 1.0507009873554804934193349852946.
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
/// `sqrt(2/π)`, the tanh approximation of GELU's inner factor.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh approximation of GELU.
const GELU_CUBIC: f64 = 0.044_715;

/// ELU: `x > 0 ? x : α·(e^x - 1)`, with `expm1` so that small negative x keep full accuracy.
#[inline]
pub fn elu<T: Float>(x: T, alpha: f64) -> T {
    x.via_f64(|x| if x > 0.0 { x } else { alpha * x.exp_m1() })
}

/// Derivative of ELU: `x > 0 ? 1 : α·e^x`, so f'(0) = α and f'(NaN) = NaN (as PyTorch's
/// vectorised backward).
#[inline]
pub fn elu_derivative<T: Float>(x: T, alpha: f64) -> T {
    x.via_f64(|x| if x > 0.0 { 1.0 } else { alpha * x.exp() })
}

/// SELU: `scale · elu(x, α)` with PyTorch's fixed α and scale.
#[inline]
pub fn selu<T: Float>(x: T) -> T {
    x.via_f64(|x| SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() })
}

/// Derivative of SELU: `x > 0 ? scale : scale·α·e^x`; f'(0) = scale·α ≈ 1.7581, f'(NaN) = NaN.
#[inline]
pub fn selu_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x > 0.0 {
            SELU_SCALE
        } else {
            SELU_SCALE * SELU_ALPHA * x.exp()
        }
    })
}

/// CELU: `x > 0 ? x : α·(e^(x/α) - 1)`, α ≠ 0.
#[inline]
pub fn celu<T: Float>(x: T, alpha: f64) -> T {
    x.via_f64(|x| {
        if x > 0.0 {
            x
        } else {
            alpha * (x / alpha).exp_m1()
        }
    })
}

/// Derivative of CELU: `x > 0 ? 1 : e^(x/α)`; f'(0) = 1, f'(NaN) = NaN.
#[inline]
pub fn celu_derivative<T: Float>(x: T, alpha: f64) -> T {
    x.via_f64(|x| if x > 0.0 { 1.0 } else { (x / alpha).exp() })
}

/// GELU, exact: `x·Φ(x)` with Φ the standard normal CDF, evaluated through `erfc` (see
/// [`normal_cdf`]) so that the negative tail keeps full relative accuracy (PyTorch's `1 + erf`
/// cancels there). gelu(+inf) = +inf, gelu(-inf) = -0.
#[inline]
pub fn gelu<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x == f64::NEG_INFINITY {
            -0.0
        } else {
            x * normal_cdf(x)
        }
    })
}

/// Derivative of exact GELU: `Φ(x) + x·φ(x)`, φ the standard normal density; f'(0) = 1/2,
/// f'(+inf) = 1, f'(-inf) = 0.
#[inline]
pub fn gelu_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x.is_infinite() {
            return if x > 0.0 { 1.0 } else { 0.0 };
        }
        normal_cdf(x) + x * normal_pdf(x)
    })
}

/// Φ(x) = erfc(-x/√2) / 2. The product `x/√2` is rounded, and erfc magnifies a relative error
/// in its argument t by 2t² (≈ 60 at x = -8), so the rounding error of the product, recovered
/// with a fused multiply-add, is fed back to first order: erfc(t + δ) ≈ erfc(t) - δ·2/√π·e^(-t²).
fn normal_cdf(x: f64) -> f64 {
    use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};
    if x.is_infinite() {
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    /// 1/√2 - FRAC_1_SQRT_2: the part of 1/√2 that `f64` cannot hold.
    const FRAC_1_SQRT_2_LOW: f64 = -4.833_646_656_726_457e-17;
    let t = -x * FRAC_1_SQRT_2;
    let t_error = (-x).mul_add(FRAC_1_SQRT_2, -t) - x * FRAC_1_SQRT_2_LOW;
    0.5 * (libm::erfc(t) - t_error * FRAC_2_SQRT_PI * (-t * t).exp())
}

/// φ(x) = e^(-x²/2) / √(2π), with the rounding error of x² fed back to first order (the
/// exponential magnifies it by x²/2).
fn normal_pdf(x: f64) -> f64 {
    /// 1/√(2π).
    const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    let square = x * x;
    if square > 1500.0 {
        return 0.0; // e^-750 underflows; also keeps inf·0 out of the correction
    }
    let square_error = x.mul_add(x, -square);
    (-0.5 * square).exp() * (1.0 - 0.5 * square_error) * FRAC_1_SQRT_2PI
}

/// GELU, tanh approximation: `x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, evaluated as the equal
/// `x·σ(2u)` with `u` the tanh argument, which keeps the negative tail accurate.
#[inline]
pub fn gelu_tanh<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x == f64::NEG_INFINITY {
            return -0.0;
        }
        let u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
        x * sigmoid_f64(2.0 * u)
    })
}

/// Derivative of the tanh-approximated GELU: `σ(2u) + 2x·σ'(2u)·√(2/π)·(1 + 3·0.044715·x²)`.
#[inline]
pub fn gelu_tanh_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x.abs() > 1e10 {
            return if x > 0.0 { 1.0 } else { 0.0 }; // flat tails; keeps x³ from overflowing
        }
        let u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
        let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
        sigmoid_f64(2.0 * u) + 2.0 * x * sigmoid_derivative_f64(2.0 * u) * du
    })
}

/// SiLU (swish): `x·σ(x)`. silu(-inf) = -0.
#[inline]
pub fn silu<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x == f64::NEG_INFINITY {
            -0.0
        } else {
            x * sigmoid_f64(x)
        }
    })
}

/// Derivative of SiLU: `σ(x)·(1 + x·σ(-x))`; f'(0) = 1/2, f'(+inf) = 1, f'(-inf) = 0.
#[inline]
pub fn silu_derivative<T: Float>(x: T) -> T {
    x.via_f64(silu_derivative_f64)
}

/// Mish: `x·tanh(softplus(x))`. mish(-inf) = -0.
#[inline]
pub fn mish<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x == f64::NEG_INFINITY {
            -0.0
        } else {
            x * softplus_f64(x).tanh()
        }
    })
}

/// Derivative of Mish: `tanh(sp) + x·sech²(sp)·σ(x)` with `sp = softplus(x)`; f'(0) = 0.6.
#[inline]
pub fn mish_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x.is_infinite() {
            return if x > 0.0 { 1.0 } else { 0.0 };
        }
        let sp = softplus_f64(x);
        sp.tanh() + x * tanh_derivative_f64(sp) * sigmoid_f64(x)
    })
}

/// Softplus: `βx > threshold ? x : log(1 + e^(βx))/β`, evaluated without overflow for any βx
/// (`max(βx, 0) + log1p(e^-|βx|)`), β > 0.
#[inline]
pub fn softplus<T: Float>(x: T, beta: f64, threshold: f64) -> T {
    x.via_f64(|x| {
        let z = x * beta;
        if z > threshold {
            x
        } else {
            softplus_f64(z) / beta
        }
    })
}

/// Derivative of Softplus: `βx > threshold ? 1 : σ(βx)`; f'(0) = 1/2.
#[inline]
pub fn softplus_derivative<T: Float>(x: T, beta: f64, threshold: f64) -> T {
    x.via_f64(|x| {
        let z = x * beta;
        if z > threshold { 1.0 } else { sigmoid_f64(z) }
    })
}

/// Softsign: `x / (1 + |x|)`; softsign(±inf) = ±1 (PyTorch's formula gives NaN there).
#[inline]
pub fn softsign<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x.is_infinite() {
            x.signum()
        } else {
            x / (1.0 + x.abs())
        }
    })
}

/// Derivative of Softsign: `1 / (1 + |x|)²`; f'(0) = 1, f'(±inf) = 0.
#[inline]
pub fn softsign_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        let d = 1.0 + x.abs();
        1.0 / (d * d)
    })
}

/// Hardtanh: `x` clamped to `[min, max]`, NaN kept (`x < min ? min : x > max ? max : x`).
#[inline(always)]
pub fn hardtanh<T: Float>(x: T, min: T, max: T) -> T {
    if x < min {
        min
    } else if x > max {
        max
    } else {
        x
    }
}

/// Derivative of Hardtanh: `min < x < max ? 1 : 0`, so 0 at both kinks and at NaN.
#[inline(always)]
pub fn hardtanh_derivative<T: Float>(x: T, min: T, max: T) -> T {
    if x > min && x < max { T::ONE } else { T::ZERO }
}

/// Hardsigmoid: `min(max(x + 3, 0), 6) / 6`, PyTorch's operations in the type of `x`;
/// 0 for x ≤ -3, 1 for x ≥ 3.
#[inline(always)]
pub fn hardsigmoid<T: Float>(x: T) -> T {
    let six = T::from_f64(6.0);
    hardtanh(x + T::from_f64(3.0), T::ZERO, six) / six
}

/// Derivative of Hardsigmoid: `-3 < x < 3 ? 1/6 : 0`; 0 at both kinks and at NaN.
#[inline(always)]
pub fn hardsigmoid_derivative<T: Float>(x: T) -> T {
    let three = T::from_f64(3.0);
    if x > -three && x < three {
        T::from_f64(1.0 / 6.0)
    } else {
        T::ZERO
    }
}

/// Hardswish: `x · min(max(x + 3, 0), 6) / 6`, PyTorch's operations in the type of `x`; -0 for
/// x ≤ -3 (including -inf, where PyTorch's formula gives NaN), and x itself for finite
/// x > MAX/6, where PyTorch's `x·6` overflows to inf (the true value is x).
#[inline(always)]
pub fn hardswish<T: Float>(x: T) -> T {
    let six = T::from_f64(6.0);
    if x <= -T::from_f64(3.0) {
        -T::ZERO
    } else if x > T::MAX / six && x <= T::MAX {
        x
    } else {
        x * hardtanh(x + T::from_f64(3.0), T::ZERO, six) / six
    }
}

/// Derivative of Hardswish: `x <= -3 ? 0 : x >= 3 ? 1 : x/3 + 1/2`; at the kinks PyTorch's
/// vectorised kernel takes the outer side, f'(-3) = 0 and f'(3) = 1; f'(NaN) = NaN.
#[inline(always)]
pub fn hardswish_derivative<T: Float>(x: T) -> T {
    let three = T::from_f64(3.0);
    if x <= -three {
        T::ZERO
    } else if x >= three {
        T::ONE
    } else {
        x / three + T::from_f64(0.5)
    }
}

/// LogSigmoid: `log σ(x) = min(x, 0) - log1p(e^-|x|)`, which never overflows.
#[inline]
pub fn log_sigmoid<T: Float>(x: T) -> T {
    x.via_f64(|x| x.min(0.0) - (-x.abs()).exp().ln_1p())
}

/// Derivative of LogSigmoid: `σ(-x) = 1 - σ(x)`, computed without cancellation; f'(0) = 1/2.
#[inline]
pub fn log_sigmoid_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| sigmoid_f64(-x))
}

/// Tanhshrink: `x - tanh(x)`. Near 0 the difference cancels, so |x| < 0.4 uses its Taylor series
/// `x³/3 - 2x⁵/15 + 17x⁷/315 - …` (16 terms, from the Bernoulli numbers).
#[inline]
pub fn tanhshrink<T: Float>(x: T) -> T {
    /// Coefficients of x^3, x^5, … x^33 in x - tanh(x).
    const SERIES: [f64; 16] = [
        0.333_333_333_333_333_3,
        -0.133_333_333_333_333_33,
        0.053_968_253_968_253_97,
        -0.021_869_488_536_155_203,
        0.008_863_235_529_902_197,
        -0.003_592_128_036_572_481,
        0.001_455_834_387_051_318_3,
        -0.000_590_027_440_945_586,
        0.000_239_129_114_243_552_48,
        -9.691_537_956_929_451e-5,
        3.927_832_388_331_683e-5,
        -1.591_890_506_932_896_4e-5,
        6.451_689_215_655_431e-6,
        -2.614_771_151_290_754_6e-6,
        1.059_726_832_010_465_4e-6,
        -4.294_911_078_273_806e-7,
    ];
    x.via_f64(|x| {
        if x.abs() < 0.4 {
            let x2 = x * x;
            x * x2 * SERIES.iter().rev().fold(0.0, |acc, c| acc * x2 + c)
        } else {
            x - x.tanh()
        }
    })
}

/// Derivative of Tanhshrink: `tanh²(x)`; f'(0) = 0.
#[inline]
pub fn tanhshrink_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        let t = x.tanh();
        t * t
    })
}

/// Softshrink: `|x| <= λ ? 0 : x - λ·sign(x)`, λ ≥ 0; softshrink(-0) = +0 and NaN stays NaN.
#[inline(always)]
pub fn softshrink<T: Float>(x: T, lambda: T) -> T {
    if x >= -lambda && x <= lambda {
        T::ZERO
    } else if x > lambda {
        x - lambda
    } else {
        x + lambda
    }
}

/// Derivative of Softshrink and Hardshrink: `x < -λ || x > λ ? 1 : 0`; 0 at the kinks and at NaN.
#[inline(always)]
pub fn shrink_derivative<T: Float>(x: T, lambda: T) -> T {
    if x < -lambda || x > lambda {
        T::ONE
    } else {
        T::ZERO
    }
}

/// Hardshrink: `-λ <= x <= λ ? 0 : x`.
#[inline(always)]
pub fn hardshrink<T: Float>(x: T, lambda: T) -> T {
    if x >= -lambda && x <= lambda {
        T::ZERO
    } else {
        x
    }
}

/// Threshold: `x <= threshold ? value : x`.
#[inline(always)]
pub fn threshold<T: Float>(x: T, threshold: T, value: T) -> T {
    if x <= threshold { value } else { x }
}

/// Derivative of Threshold: `x <= threshold ? 0 : 1`; 1 at NaN.
#[inline(always)]
pub fn threshold_derivative<T: Float>(x: T, threshold: T) -> T {
    if x <= threshold { T::ZERO } else { T::ONE }
}

/// QuickGELU's factor (CLIP's approximation of GELU, `x·σ(1.702·x)`).
const QUICK_GELU_SCALE: f64 = 1.702;

/// `1.702 - QUICK_GELU_SCALE`: the part of 1.702 that `f64` cannot hold.
const QUICK_GELU_SCALE_LOW: f64 = 4.263_256_414_560_601e-17;

/// QuickGELU (CLIP's): `x·σ(1.702·x)`. quick_gelu(-inf) = -0.
///
/// `w = 1.702·x` is carried with its rounding error `w_lo` (a fused multiply-add), which is fed
/// back to first order, `σ(w + w_lo) ≈ σ(w)·(1 + σ(-w)·w_lo)`: in the left tail `σ(w) ≈ e^w`
/// magnifies an error in `w` by `|w|`.
#[inline]
pub fn quick_gelu<T: Float>(x: T) -> T {
    x.via_f64(|x| {
        if x == f64::NEG_INFINITY {
            return -0.0;
        }
        let w = QUICK_GELU_SCALE * x;
        let w_lo = if w.abs() < 1e3 {
            QUICK_GELU_SCALE.mul_add(x, -w) + QUICK_GELU_SCALE_LOW * x
        } else {
            0.0 // σ(w) is 0 or 1 there; the correction would be inf·0
        };
        x * sigmoid_f64(w) * (1.0 + sigmoid_f64(-w) * w_lo)
    })
}

/// Derivative of QuickGELU: SiLU's derivative at `w = 1.702·x`, `σ(w)·(1 + w·σ(-w))`;
/// f'(0) = 1/2, f'(+inf) = 1, f'(-inf) = 0.
#[inline]
pub fn quick_gelu_derivative<T: Float>(x: T) -> T {
    x.via_f64(|x| silu_derivative_f64(QUICK_GELU_SCALE * x))
}

/// ReLU² (Primer's squared ReLU): `x > 0 ? x² : 0`, written `x <= 0 ? 0 : x·x` so that NaN stays
/// NaN; computed in the type of `x` (one rounding, as PyTorch's `relu(x)**2`).
#[inline(always)]
pub fn relu_squared<T: Float>(x: T) -> T {
    if x <= T::ZERO { T::ZERO } else { x * x }
}

/// Derivative of ReLU²: `x <= 0 ? 0 : 2x`, so f'(0) = 0 and f'(NaN) = NaN.
#[inline(always)]
pub fn relu_squared_derivative<T: Float>(x: T) -> T {
    if x <= T::ZERO { T::ZERO } else { x + x }
}

/// SiLU's derivative, `σ(x)·(1 + x·σ(-x))`, 1 at +inf and 0 at -inf.
fn silu_derivative_f64(x: f64) -> f64 {
    if x.is_infinite() {
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    sigmoid_f64(x) * (1.0 + x * sigmoid_f64(-x))
}

fn sigmoid_derivative_f64(x: f64) -> f64 {
    let t = (-x.abs()).exp();
    t / ((1.0 + t) * (1.0 + t))
}

fn tanh_derivative_f64(x: f64) -> f64 {
    let t = (-2.0 * x.abs()).exp();
    4.0 * t / ((1.0 + t) * (1.0 + t))
}

/// `log(1 + e^z)` without overflow: `max(z, 0) + log1p(e^-|z|)`.
fn softplus_f64(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}
