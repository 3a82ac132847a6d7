//! The fused CPU ops: [`Forward`], a `CustomOp1` on the input, and [`Backward`], a `CustomOp2` on
//! the input (or the output) and the output gradient. Each is one pass over the data through the
//! core library's slice kernels, so they compute exactly what [`Activation::forward_slice`] and
//! [`Activation::backward`] (or [`Activation::backward_from_output`]) compute: in `f32` and
//! `f64`, and in `f16` and `bf16` through `f32` blocks, rounded once.

use std::borrow::Cow;

use candle_core::backend::BackendStorage;
use candle_core::cpu_backend::unary_map;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Error, Layout, Result, Shape, Tensor};
use leaky::{Activation, SliceElement};

/// `y = f(x)` elementwise; its backward is one [`Backward`] pass, from the input `x` (the core's
/// exact derivative, for every activation and parameter value) or, with `from_output`, from `y`.
pub(crate) struct Forward {
    pub(crate) act: Activation,
    /// Whether the backward reads `y` (checked by the caller with
    /// [`Activation::check_backward_from_output`]).
    pub(crate) from_output: bool,
}

/// `grad_x = grad_y · f'(x)` elementwise, from the input `x`, or from the output `y` with
/// `from_output`; `saved` below is whichever of the two it reads.
struct Backward {
    act: Activation,
    from_output: bool,
}

impl CustomOp1 for Forward {
    fn name(&self) -> &'static str {
        self.act.name()
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let y = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(forward(&self.act, x, layout)?),
            CpuStorage::F64(x) => CpuStorage::F64(forward(&self.act, x, layout)?),
            CpuStorage::F16(x) => CpuStorage::F16(forward(&self.act, x, layout)?),
            CpuStorage::BF16(x) => CpuStorage::BF16(forward(&self.act, x, layout)?),
            other => return Err(Error::UnsupportedDTypeForOp(other.dtype(), self.name())),
        };
        Ok((y, layout.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        let saved = if self.from_output { y } else { x };
        let op = Backward {
            act: self.act,
            from_output: self.from_output,
        };
        saved.apply_op2_no_bwd(grad_y, &op).map(Some)
    }
}

impl CustomOp2 for Backward {
    fn name(&self) -> &'static str {
        self.act.name()
    }

    fn cpu_fwd(
        &self,
        saved: &CpuStorage,
        saved_layout: &Layout,
        grad_y: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let grad_x = match (saved, grad_y) {
            (CpuStorage::F32(s), CpuStorage::F32(g)) => {
                CpuStorage::F32(self.run(s, saved_layout, g, grad_layout)?)
            }
            (CpuStorage::F64(s), CpuStorage::F64(g)) => {
                CpuStorage::F64(self.run(s, saved_layout, g, grad_layout)?)
            }
            (CpuStorage::F16(s), CpuStorage::F16(g)) => {
                CpuStorage::F16(self.run(s, saved_layout, g, grad_layout)?)
            }
            (CpuStorage::BF16(s), CpuStorage::BF16(g)) => {
                CpuStorage::BF16(self.run(s, saved_layout, g, grad_layout)?)
            }
            _ => {
                return Err(Error::DTypeMismatchBinaryOp {
                    lhs: saved.dtype(),
                    rhs: grad_y.dtype(),
                    op: self.name(),
                });
            }
        };
        Ok((grad_x, saved_layout.shape().clone()))
    }
}

impl Backward {
    /// The backward pass over storage buffers, from the saved input or output.
    fn run<T: SliceElement>(
        &self,
        saved: &[T],
        saved_layout: &Layout,
        grad_y: &[T],
        grad_layout: &Layout,
    ) -> Result<Vec<T>> {
        let saved = contiguous(saved, saved_layout);
        let grad_y = contiguous(grad_y, grad_layout);
        let mut grad_x = vec![T::default(); saved.len()];
        if self.from_output {
            self.act.backward_from_output(&saved, &grad_y, &mut grad_x)
        } else {
            self.act.backward(&saved, &grad_y, &mut grad_x)
        }
        .map_err(Error::wrap)?;
        Ok(grad_x)
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

/// The elements of a tensor in row-major order: the storage's own slice when the layout is
/// contiguous (at any offset), else a gathered copy.
pub(crate) fn contiguous<'a, T: Copy>(data: &'a [T], layout: &Layout) -> Cow<'a, [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Cow::Borrowed(&data[start..end]),
        None => Cow::Owned(unary_map(data, layout, |v| v)),
    }
}
