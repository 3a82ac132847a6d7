//! [`activate`]: an activation applied to a tensor, with autograd, fused on the CPU and composed
//! from candle's own ops on other devices.

use candle_core::{DType, Device, Error, Result, Tensor};
use leaky::Activation;

use crate::fused::Forward;

/// Applies `act` elementwise to `x`, differentiably, with the core library's semantics
/// (see [`leaky::scalar`]).
///
/// - On the CPU, in `f32` and `f64`: one fused pass forward and one fused pass backward, through
///   the core's slice kernels. The backward is computed from `x`, so it is exactly
///   `grad · f'(x)` with PyTorch's values at the kinks: LeakyReLU's f'(0) = α (candle's
///   `candle_nn::ops::leaky_relu` gives (1 + α)/2 there), ReLU's f'(0) = 0. NaN in gives NaN
///   out. Any layout is accepted (transposed, narrowed, broadcast); a non-contiguous input is
///   gathered first.
/// - `f16` and `bf16` are computed in `f32` and rounded back (two extra conversion passes).
/// - On other devices (CUDA, Metal), [`activate_composed`].
///
/// Errors: an invalid activation (a non-finite α, say) with the core's message, and any dtype
/// other than the four float types.
pub fn activate(x: &Tensor, act: &Activation) -> Result<Tensor> {
    act.validate().map_err(Error::wrap)?;
    match x.dtype() {
        DType::F32 | DType::F64 if x.device().is_cpu() => x.apply_op1(Forward(*act)),
        DType::F32 | DType::F64 => activate_composed(x, act),
        DType::F16 | DType::BF16 => activate(&x.to_dtype(DType::F32)?, act)?.to_dtype(x.dtype()),
        dtype => Err(Error::UnsupportedDTypeForOp(dtype, act.name())),
    }
}

/// Applies `act` with candle's built-in ops, on any device: what [`activate`] does off the CPU.
///
/// The same semantics as the core library, by construction rather than by a shared kernel:
///
/// | activation | composed as | f'(0) | NaN |
/// |---|---|---|---|
/// | LeakyReLU | `x > 0 ? x : α·x` (`gt` + `where_cond`) | α | NaN, f' = α |
/// | ReLU | `x <= 0 ? 0 : x` (`le` + `where_cond`) | 0 | NaN, f' = 1 |
/// | sigmoid | `candle_nn::ops::sigmoid`, backward from the output | 1/4 | NaN |
/// | tanh | `Tensor::tanh`, backward from the output | 1 | NaN |
///
/// Values agree with the core to a few ULPs for sigmoid and tanh (different `exp`), exactly for
/// the piecewise-linear ones. Activations with no composed form run as the fused CPU op, with the
/// tensor copied to the CPU and back. Each composed form costs several passes over memory: on the
/// CPU prefer [`activate`].
pub fn activate_composed(x: &Tensor, act: &Activation) -> Result<Tensor> {
    act.validate().map_err(Error::wrap)?;
    match *act {
        Activation::LeakyRelu { alpha } => {
            // A product, not `affine(α, 0)`, which adds +0 and so maps -0 to +0.
            let alpha = Tensor::new(alpha, x.device())?.to_dtype(x.dtype())?;
            x.gt(0.0)?.where_cond(x, &x.broadcast_mul(&alpha)?)
        }
        Activation::Relu => x.le(0.0)?.where_cond(&x.zeros_like()?, x),
        Activation::Sigmoid => candle_nn::ops::sigmoid(x),
        Activation::Tanh => x.tanh(),
        _ => activate(&x.to_device(&Device::Cpu)?, act)?.to_device(x.device()),
    }
}
