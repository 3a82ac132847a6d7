//! PReLU with learnable slopes: [`prelu`], a fused op on the input and the slopes whose backward
//! gives the gradients of both, [`prelu_composed`], its fallback from candle's own ops, and
//! [`Prelu`], the layer whose slopes are variables of a `VarMap`.

use candle_core::{
    CpuStorage, CustomOp2, CustomOp3, DType, Error, Layout, Module, Result, Shape, Tensor,
};
use candle_nn::{Init, VarBuilder};
use leaky::Float;
use leaky::prelu::ChannelLayout;

use crate::fused::contiguous;

/// PReLU, `y = x > 0 ? x : w[c]·x`, differentiable in both `x` and the slopes `weight`.
///
/// `weight` holds one slope shared by every element, or one per channel: `c` is the index along
/// axis 1 (NCHW, NCL, NC: PyTorch's channel axis), or along axis 0 for a 1-D input. The
/// backward gives `grad_x = x > 0 ? g : w[c]·g` (so f'(0) = `w[c]`, as LeakyReLU's f'(0) = α) and
/// `grad_w[c] = Σ (x > 0 ? 0 : x·g)` over the channel's elements (over all elements for a shared
/// slope). NaN in `x` gives NaN out, and a NaN in `grad_w` for its channel.
///
/// - On the CPU, in `f32` and `f64`: one fused pass forward, and one fused pass backward that
///   writes both gradients, through [`leaky::prelu`]. Any layout of `x` is accepted.
/// - `f16` and `bf16` are computed in `f32` and rounded back.
/// - On other devices, [`prelu_composed`].
///
/// Errors: a `weight` with neither 1 nor C elements, a `weight` of another dtype than `x`, and
/// any dtype other than the four float types.
pub fn prelu(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    channels(x, weight)?;
    match x.dtype() {
        DType::F32 | DType::F64 if x.device().is_cpu() && weight.device().is_cpu() => {
            x.apply_op2(weight, Forward)
        }
        DType::F32 | DType::F64 => prelu_composed(x, weight),
        DType::F16 | DType::BF16 => {
            prelu(&x.to_dtype(DType::F32)?, &weight.to_dtype(DType::F32)?)?.to_dtype(x.dtype())
        }
        dtype => Err(Error::UnsupportedDTypeForOp(dtype, "prelu")),
    }
}

/// PReLU composed from candle's built-in ops, on any device: what [`prelu`] does off the CPU.
///
/// `x > 0 ? x : w·min_part`, where `min_part = x > 0 ? 0 : x` and `w` is the slopes broadcast
/// along the channel axis; autograd then gives the same gradients as [`prelu`] (the slopes'
/// gradient summed in another order, so equal to rounding). The zero in `min_part` keeps an
/// infinite positive `x` out of the slopes' gradient, where `0·inf` would be NaN. About five
/// passes forward; `f16` and `bf16` run in `f32`.
///
/// Errors: as [`prelu`].
pub fn prelu_composed(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let layout = channels(x, weight)?;
    match x.dtype() {
        DType::F32 | DType::F64 => {}
        DType::F16 | DType::BF16 => {
            let (x32, w32) = (x.to_dtype(DType::F32)?, weight.to_dtype(DType::F32)?);
            return prelu_composed(&x32, &w32)?.to_dtype(x.dtype());
        }
        dtype => return Err(Error::UnsupportedDTypeForOp(dtype, "prelu")),
    }
    let slopes = if weight.elem_count() == 1 {
        weight.reshape(())?
    } else {
        let mut dims = vec![1; x.rank()];
        dims[channel_axis(x.rank())] = layout.channels;
        weight.reshape(dims)?
    };
    let positive = x.gt(0.0)?;
    let min_part = positive.where_cond(&x.zeros_like()?, x)?;
    positive.where_cond(x, &min_part.broadcast_mul(&slopes)?)
}

/// PReLU as a layer: PyTorch's `nn.PReLU(num_parameters, init)`, with [`prelu`] as its forward.
///
/// The slopes are the variable `weight` (PyTorch's name) of the `VarBuilder`'s path: built from
/// a `VarMap` they are trained by any optimizer over `varmap.all_vars()` and saved with it as
/// safetensors; built from saved tensors they are loaded. One slope is shared by all channels
/// (`num_parameters = 1`), or there is one per channel (`num_parameters` = C, the size of the
/// input's axis 1).
#[derive(Clone, Debug)]
pub struct Prelu {
    weight: Tensor,
}

impl Prelu {
    /// PyTorch's initial slope, 0.25.
    pub const DEFAULT_INIT: f64 = 0.25;

    /// A layer of `num_parameters` slopes (1, or the number of channels), each starting at
    /// [`Prelu::DEFAULT_INIT`].
    pub fn new(num_parameters: usize, vb: VarBuilder) -> Result<Self> {
        Self::with_init(num_parameters, Self::DEFAULT_INIT, vb)
    }

    /// A layer of `num_parameters` slopes starting at `init`, which must be finite.
    pub fn with_init(num_parameters: usize, init: f64, vb: VarBuilder) -> Result<Self> {
        if num_parameters == 0 {
            return Err(Error::Msg(
                "prelu: num_parameters must be 1 (one shared slope) or the number of channels, not 0"
                    .into(),
            ));
        }
        if !init.is_finite() {
            return Err(Error::Msg(format!(
                "prelu: the initial slope must be finite, not {init}"
            )));
        }
        let weight = vb.get_with_hints(num_parameters, "weight", Init::Const(init))?;
        Ok(Self { weight })
    }

    /// The slopes, a 1-D tensor of `num_parameters` elements.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Module for Prelu {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        prelu(xs, &self.weight)
    }
}

/// The channel axis for an input of this rank: 1, or 0 for rank 0 and 1.
fn channel_axis(rank: usize) -> usize {
    usize::from(rank >= 2)
}

/// How a row-major tensor of these dims splits around its channel axis; a rank-0 tensor is one
/// channel of one element.
fn channel_layout(dims: &[usize]) -> Result<ChannelLayout> {
    let dims = if dims.is_empty() { &[1][..] } else { dims };
    ChannelLayout::new(dims, channel_axis(dims.len())).map_err(Error::wrap)
}

/// Checks `weight` against `x` (its dtype, and 1 or C elements) and returns `x`'s layout.
fn channels(x: &Tensor, weight: &Tensor) -> Result<ChannelLayout> {
    if x.dtype() != weight.dtype() {
        return Err(Error::DTypeMismatchBinaryOp {
            lhs: x.dtype(),
            rhs: weight.dtype(),
            op: "prelu",
        });
    }
    let layout = channel_layout(x.dims())?;
    let slopes = weight.elem_count();
    if slopes != 1 && slopes != layout.channels {
        return Err(Error::Msg(format!(
            "prelu: the weight has {slopes} slopes, but an input of shape {:?} needs 1 (shared) or {} (one per channel, axis {})",
            x.dims(),
            layout.channels,
            channel_axis(x.rank()),
        )));
    }
    Ok(layout)
}

/// `y = x > 0 ? x : w[c]·x`; its backward is one [`Backward`] pass.
struct Forward;

/// Both gradients in one pass, into one buffer: `grad_x` (the input's elements, row-major), then
/// `grad_w`.
struct Backward;

impl CustomOp2 for Forward {
    fn name(&self) -> &'static str {
        "prelu"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        w: &CpuStorage,
        w_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = match (x, w) {
            (CpuStorage::F32(x), CpuStorage::F32(w)) => {
                CpuStorage::F32(forward(x, x_layout, w, w_layout)?)
            }
            (CpuStorage::F64(x), CpuStorage::F64(w)) => {
                CpuStorage::F64(forward(x, x_layout, w, w_layout)?)
            }
            _ => return Err(unsupported(&[x, w], self.name())),
        };
        Ok((y, x_layout.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _y: &Tensor,
        grad_y: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grads = x.apply_op3_no_bwd(weight, grad_y, &Backward)?;
        let n = x.elem_count();
        let grad_x = grads.narrow(0, 0, n)?.reshape(x.shape())?;
        let grad_w = grads
            .narrow(0, n, weight.elem_count())?
            .reshape(weight.shape())?;
        Ok((Some(grad_x), Some(grad_w)))
    }
}

impl CustomOp3 for Backward {
    fn name(&self) -> &'static str {
        "prelu-backward"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        w: &CpuStorage,
        w_layout: &Layout,
        grad_y: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let layouts = (x_layout, w_layout, grad_layout);
        let grads = match (x, w, grad_y) {
            (CpuStorage::F32(x), CpuStorage::F32(w), CpuStorage::F32(g)) => {
                CpuStorage::F32(backward(x, w, g, layouts)?)
            }
            (CpuStorage::F64(x), CpuStorage::F64(w), CpuStorage::F64(g)) => {
                CpuStorage::F64(backward(x, w, g, layouts)?)
            }
            _ => return Err(unsupported(&[x, w, grad_y], self.name())),
        };
        let len = x_layout.shape().elem_count() + w_layout.shape().elem_count();
        Ok((grads, Shape::from(len)))
    }
}

fn forward<T: Float>(x: &[T], x_layout: &Layout, w: &[T], w_layout: &Layout) -> Result<Vec<T>> {
    let channels = channel_layout(x_layout.dims())?;
    let (x, w) = (contiguous(x, x_layout), contiguous(w, w_layout));
    let mut y = vec![T::ZERO; x.len()];
    leaky::prelu::forward(&x, &w, channels, &mut y).map_err(Error::wrap)?;
    Ok(y)
}

fn backward<T: Float>(
    x: &[T],
    w: &[T],
    grad_y: &[T],
    (x_layout, w_layout, grad_layout): (&Layout, &Layout, &Layout),
) -> Result<Vec<T>> {
    let channels = channel_layout(x_layout.dims())?;
    let x = contiguous(x, x_layout);
    let w = contiguous(w, w_layout);
    let grad_y = contiguous(grad_y, grad_layout);
    let mut grads = vec![T::ZERO; x.len() + w.len()];
    let (grad_x, grad_w) = grads.split_at_mut(x.len());
    leaky::prelu::backward(&x, &w, channels, &grad_y, grad_x, grad_w).map_err(Error::wrap)?;
    Ok(grads)
}

/// The error for storages the ops do not take: two dtypes that differ, or one that is not `f32`
/// or `f64`.
fn unsupported(storages: &[&CpuStorage], op: &'static str) -> Error {
    use candle_core::backend::BackendStorage;
    let first = storages[0].dtype();
    match storages.iter().map(|s| s.dtype()).find(|&d| d != first) {
        Some(other) => Error::DTypeMismatchBinaryOp {
            lhs: first,
            rhs: other,
            op,
        },
        None => Error::UnsupportedDTypeForOp(first, op),
    }
}
