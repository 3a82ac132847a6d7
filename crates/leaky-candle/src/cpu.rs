//! What the CPU layer ops share: the contiguous elements of a storage, gradients as tensors,
//! sums in a fixed order, and the state a forward pass keeps for its backward pass.

use std::sync::{Mutex, MutexGuard, PoisonError};

use candle_core::{CpuStorage, Device, Layout, Result, Tensor, WithDType, bail};

/// The contiguous elements of a tensor's storage.
pub(crate) fn slice<'a, T: WithDType>(
    (storage, layout): (&'a CpuStorage, &Layout),
) -> Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&storage.as_slice::<T>()?[start..end]),
        None => bail!(
            "expected a contiguous tensor, got strides {:?}",
            layout.stride()
        ),
    }
}

/// The gradients of an op's input (when asked for), weights and bias.
pub(crate) type Gradients<T> = (Option<Vec<T>>, Vec<T>, Vec<T>);

/// [`Gradients`] as tensors of the shapes of `x`, `w` and `bias`.
pub(crate) fn as_tensors<T: WithDType>(
    (grad_x, grad_w, grad_b): Gradients<T>,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
    let cpu = &Device::Cpu;
    Ok((
        grad_x
            .map(|g| Tensor::from_vec(g, x.shape(), cpu))
            .transpose()?,
        Some(Tensor::from_vec(grad_w, w.shape(), cpu)?),
        bias.map(|b| Tensor::from_vec(grad_b, b.shape(), cpu))
            .transpose()?,
    ))
}

/// The element-wise sum of the `len`-element chunks of `parts`, added in order, so that the
/// result never depends on which thread computed which chunk.
pub(crate) fn sum_in_order<T: WithDType>(parts: &[T], len: usize) -> Vec<T> {
    let mut chunks = parts.chunks(len);
    let mut sum = chunks
        .next()
        .map_or_else(|| vec![T::zero(); len], <[T]>::to_vec);
    for chunk in chunks {
        for (s, &v) in sum.iter_mut().zip(chunk) {
            *s += v;
        }
    }
    sum
}

/// What an op's forward pass keeps for its backward pass (candle calls both through `&self`).
pub(crate) struct Saved<T>(Mutex<Option<T>>);

impl<T> Saved<T> {
    pub(crate) fn new() -> Self {
        Saved(Mutex::new(None))
    }

    /// Keeps `value`, replacing what was kept before.
    pub(crate) fn put(&self, value: T) {
        *self.lock() = Some(value);
    }

    /// What was kept; `op`'s error if the forward pass has not run.
    pub(crate) fn with<R>(&self, op: &str, f: impl FnOnce(&T) -> Result<R>) -> Result<R> {
        match self.lock().as_ref() {
            Some(value) => f(value),
            None => bail!("{op}: backward before forward"),
        }
    }

    /// The value is replaced whole, so a panic elsewhere cannot leave it half-written.
    fn lock(&self) -> MutexGuard<'_, Option<T>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
