//! [`activate`]: an activation applied to a tensor, with autograd, fused on the CPU and composed
//! from candle's own ops on other devices.

use candle_core::{DType, Device, Error, Result, Tensor};
use leaky::Activation;

use crate::compose;
use crate::fused::Forward;

/// Applies `act` elementwise to `x`, differentiably, with the core library's semantics
/// (see [`leaky::scalar`]).
///
/// - On the CPU, in `f32`, `f64`, `f16` and `bf16`: one fused pass forward and one fused pass
///   backward, through the core's slice kernels (the 16-bit types computed in `f32` blocks and
///   rounded once: each result is the `f32` op's result on the same values, correctly rounded).
///   The backward is computed from `x` (from `y`: [`activate_from_output`]), so it is exactly
///   `grad · f'(x)` with PyTorch's values at the kinks: LeakyReLU's f'(0) = α (candle's
///   `candle_nn::ops::leaky_relu` gives (1 + α)/2 there), ReLU's f'(0) = 0. NaN in gives NaN
///   out. Any layout is accepted (transposed, narrowed, broadcast); a non-contiguous input is
///   gathered first.
/// - On other devices (CUDA, Metal), [`activate_composed`].
///
/// Errors: an invalid activation (a non-finite α, say) with the core's message, and any dtype
/// other than the four float types.
pub fn activate(x: &Tensor, act: &Activation) -> Result<Tensor> {
    act.validate().map_err(Error::wrap)?;
    fused_or_composed(x, act, false)
}

/// [`activate`] with the backward computed from the output `y` instead of the input, as PyTorch
/// does for sigmoid (`g·y·(1 - y)`) and tanh (`g·(1 - y²)`): a multiply or two per element instead
/// of a second exponential (the core's kernels: 11.4 against 2.4 Gelem/s for sigmoid, 10.4
/// against 2.5 for tanh, 256Ki elements, 2 threads of an AMD EPYC), and the input need not be kept.
///
/// The price is the derivative's accuracy where `y` saturates, since `y` no longer tells `x`
/// there: measured against the exact derivative, sigmoid's is within 2.7 ULP for x ≤ 0 but
/// 16 ULP off at |x| ≤ 4, about 1,000 ULP at |x| ≤ 8, and 0 from x ≈ 17.33 up (the true value
/// is e^-x); tanh's is 750 ULP off at |x| ≤ 4, 11% at |x| = 8, and 0 beyond |x| ≈ 9.01.
/// [`activate`] keeps the exact derivative; the forward is the same.
///
/// Errors: an activation whose output does not determine its derivative (GELU, SiLU, LeakyReLU
/// with α < 0, ...: [`Activation::backward_from_output`]'s list), with the core's reason; the
/// errors of [`activate`]. Off the CPU this is [`activate_composed`], whose sigmoid and tanh
/// already differentiate from the output.
pub fn activate_from_output(x: &Tensor, act: &Activation) -> Result<Tensor> {
    act.check_backward_from_output().map_err(Error::wrap)?;
    fused_or_composed(x, act, true)
}

/// The fused op on the CPU (its backward from the output with `from_output`), the composed ops
/// elsewhere; `act` already validated.
fn fused_or_composed(x: &Tensor, act: &Activation, from_output: bool) -> Result<Tensor> {
    match x.dtype() {
        DType::F32 | DType::F64 | DType::F16 | DType::BF16 if x.device().is_cpu() => {
            x.apply_op1(Forward {
                act: *act,
                from_output,
            })
        }
        DType::F32 | DType::F64 | DType::F16 | DType::BF16 => activate_composed(x, act),
        dtype => Err(Error::UnsupportedDTypeForOp(dtype, act.name())),
    }
}

/// Applies `act` with candle's built-in ops, on any device: what [`activate`] does off the CPU.
///
/// Every activation of the core library but the two newest is composed, with the core's
/// semantics: the same formulas, the same f'(x) at the kinks, the same values at ±0, ±inf and NaN.
///
/// | activation | composed as | backward |
/// |---|---|---|
/// | LeakyReLU, PReLU (one slope), RReLU (evaluation, slope `(lower + upper)/2`) | `x > 0 ? x : α·x` (`gt` + `where_cond`) | autograd: `x > 0 ? g : α·g`, f'(0) = α |
/// | ReLU | `x <= 0 ? 0 : x` | autograd: `x <= 0 ? 0 : g` |
/// | sigmoid | `candle_nn::ops::sigmoid` | from the output, `g·y·(1 - y)` |
/// | tanh | `Tensor::tanh` | from the output, `g·(1 - y²)` |
/// | QuickGELU, ReLU² (no composed formula yet) | the fused op on the CPU, moved there and back | the fused backward |
/// | the other 17 | f(x) and f'(x) by the core's formulas in candle ops, joined into one tensor | `g·f'(x)` |
///
/// In the last row the derivative is computed from the formula, not differentiated through it,
/// so it has the core's conventions at the kinks (Hardtanh's f'(min) = 0, Hardswish's
/// f'(3) = 1, ...) and the limits at ±inf (GELU's f'(+inf) = 1) where naive autograd would
/// give NaN. The piecewise-linear functions agree with the core exactly, forward and backward.
/// The smooth ones keep the core's tail-safe forms (`expm1` and `log1p` built from `exp` and
/// `log`, sigmoid as `e^x / (1 + e^x)` on the left): in `f64` they agree to a few ULPs, relative,
/// however small the result. In `f32` they compute in `f32`, where the core rounds an `f64`
/// result once, so where a function magnifies the rounding of its argument (`e^(x/α)` for a
/// large `|x/α|`) the difference grows to about `|x|·2^-24` relative, and subnormal results keep
/// only the bits they have. Two agree in absolute terms only: exact GELU below x ≈ -5 (candle
/// has `erf` but no `erfc`; the error is about `|x|` ULPs of 1) and Tanhshrink near 0
/// (`x - tanh(x)`, without the core's Taylor series). Sigmoid and tanh use candle's kernels,
/// which agree to a few ULPs but in the far tails (candle's sigmoid is 0 below x ≈ -88 in
/// `f32`, and the backward from the output loses the right tail). Where f' overflows at a finite
/// x (CELU with α < 0, far left) the gradient is NaN instead of ±inf.
///
/// `f16` and `bf16` are computed in `f32` and rounded back (two extra passes). Each composed
/// form costs several passes over memory (about ten for the last row, more backward): on the
/// CPU prefer [`activate`].
///
/// Errors: as [`activate`].
pub fn activate_composed(x: &Tensor, act: &Activation) -> Result<Tensor> {
    act.validate().map_err(Error::wrap)?;
    match x.dtype() {
        DType::F32 | DType::F64 => {}
        DType::F16 | DType::BF16 => {
            return activate_composed(&x.to_dtype(DType::F32)?, act)?.to_dtype(x.dtype());
        }
        dtype => return Err(Error::UnsupportedDTypeForOp(dtype, act.name())),
    }
    match *act {
        Activation::LeakyRelu { alpha } | Activation::Prelu { weight: alpha } => {
            leaky_relu(x, alpha)
        }
        Activation::Rrelu { lower, upper } => leaky_relu(x, (lower + upper) / 2.0),
        Activation::Relu => x.le(0.0)?.where_cond(&x.zeros_like()?, x),
        Activation::Sigmoid => candle_nn::ops::sigmoid(x),
        Activation::Tanh => x.tanh(),
        _ => match compose::apply(x, act)? {
            Some(y) => Ok(y),
            // An activation newer than the formulas: the fused op, through the CPU.
            None => activate(&x.to_device(&Device::Cpu)?, act)?.to_device(x.device()),
        },
    }
}

/// `x > 0 ? x : α·x`, composed.
fn leaky_relu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    // A product, not `affine(α, 0)`, which adds +0 and so maps -0 to +0.
    let alpha = Tensor::new(alpha, x.device())?.to_dtype(x.dtype())?;
    x.gt(0.0)?.where_cond(x, &x.broadcast_mul(&alpha)?)
}
