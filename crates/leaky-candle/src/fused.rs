//! The fused CPU ops: [`Forward`], a `CustomOp1` on the input, and [`Backward`], a `CustomOp2` on
//! the input and the output gradient. Each is one pass over the data through the core library's
//! slice kernels, so they compute exactly what [`Activation::forward_slice`] and
//! [`Activation::backward`] compute: in `f32` and `f64`, and in `f16` and `bf16` through `f32`
//! blocks, rounded once.

use std::borrow::Cow;

use candle_core::backend::BackendStorage;
use candle_core::cpu_backend::unary_map;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Error, Layout, Result, Shape, Tensor};
use leaky::{Activation, SliceElement};

/// `y = f(x)` elementwise; its backward is one [`Backward`] pass.
pub(crate) struct Forward(pub(crate) Activation);

/// `grad_x = grad_y · f'(x)` elementwise, from the input `x` (not the output), which keeps the
/// core's exact derivative for every activation and every parameter value.
struct Backward(Activation);

impl CustomOp1 for Forward {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let y = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(forward(&self.0, x, layout)?),
            CpuStorage::F64(x) => CpuStorage::F64(forward(&self.0, x, layout)?),
            CpuStorage::F16(x) => CpuStorage::F16(forward(&self.0, x, layout)?),
            CpuStorage::BF16(x) => CpuStorage::BF16(forward(&self.0, x, layout)?),
            other => return Err(Error::UnsupportedDTypeForOp(other.dtype(), self.name())),
        };
        Ok((y, layout.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        x.apply_op2_no_bwd(grad_y, &Backward(self.0)).map(Some)
    }
}

impl CustomOp2 for Backward {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        grad_y: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let grad_x = match (x, grad_y) {
            (CpuStorage::F32(x), CpuStorage::F32(g)) => {
                CpuStorage::F32(backward(&self.0, x, x_layout, g, grad_layout)?)
            }
            (CpuStorage::F64(x), CpuStorage::F64(g)) => {
                CpuStorage::F64(backward(&self.0, x, x_layout, g, grad_layout)?)
            }
            (CpuStorage::F16(x), CpuStorage::F16(g)) => {
                CpuStorage::F16(backward(&self.0, x, x_layout, g, grad_layout)?)
            }
            (CpuStorage::BF16(x), CpuStorage::BF16(g)) => {
                CpuStorage::BF16(backward(&self.0, x, x_layout, g, grad_layout)?)
            }
            _ => {
                return Err(Error::DTypeMismatchBinaryOp {
                    lhs: x.dtype(),
                    rhs: grad_y.dtype(),
                    op: self.name(),
                });
            }
        };
        Ok((grad_x, x_layout.shape().clone()))
    }
}

/// The forward pass over a storage buffer: into a fresh buffer when `x` is contiguous, in place
/// over the gathered copy otherwise, so either way the data is read once and written once.
fn forward<T: SliceElement>(act: &Activation, x: &[T], layout: &Layout) -> Result<Vec<T>> {
    match contiguous(x, layout) {
        Cow::Borrowed(x) => {
            let mut y = vec![T::default(); x.len()];
            act.forward_slice(x, &mut y).map(|()| y)
        }
        Cow::Owned(mut y) => act.forward_in_place(&mut y).map(|()| y),
    }
    .map_err(Error::wrap)
}

fn backward<T: SliceElement>(
    act: &Activation,
    x: &[T],
    x_layout: &Layout,
    grad_y: &[T],
    grad_layout: &Layout,
) -> Result<Vec<T>> {
    let x = contiguous(x, x_layout);
    let grad_y = contiguous(grad_y, grad_layout);
    let mut grad_x = vec![T::default(); x.len()];
    act.backward(&x, &grad_y, &mut grad_x)
        .map_err(Error::wrap)?;
    Ok(grad_x)
}

/// The elements of a tensor in row-major order: the storage's own slice when the layout is
/// contiguous (at any offset), else a gathered copy.
pub(crate) fn contiguous<'a, T: Copy>(data: &'a [T], layout: &Layout) -> Cow<'a, [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Cow::Borrowed(&data[start..end]),
        None => Cow::Owned(unary_map(data, layout, |v| v)),
    }
}
