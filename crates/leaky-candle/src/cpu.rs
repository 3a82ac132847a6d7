//! What the CPU layer ops share: the [`Layer`] trait that makes each a candle op, the contiguous
//! elements of a storage, gradients as tensors, sums in a fixed order, the state a forward
//! pass keeps for its backward pass, and slices viewed as memory to write and back.

use std::mem::MaybeUninit;
use std::sync::{Mutex, MutexGuard, PoisonError};

use candle_core::{
    CpuStorage, CustomOp2, CustomOp3, Device, Layout, Result, Shape, Storage, Tensor, WithDType,
    bail,
};

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

/// How many interleaved partial sums [`sum_interleaved`] keeps.
const LANES: usize = 16;

/// The sum of `values` as [`LANES`] interleaved partial sums (element `i` goes to partial sum
/// `i % LANES`, each added in order), then those added in order: a fixed order, so the same
/// bits on every CPU, that the compiler can compute a vector at a time instead of one addition
/// after another.
pub(crate) fn sum_interleaved<T: WithDType>(values: &[T]) -> T {
    let mut lanes = [T::zero(); LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    for (lane, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *lane += v;
    }
    lanes.into_iter().fold(T::zero(), |s, v| s + v)
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

/// A storage and its layout.
pub(crate) type Operand<'a> = (&'a CpuStorage, &'a Layout);

/// The gradients of an op's input, weights and bias as tensors (`None` where not asked for).
pub(crate) type TensorGradients = (Option<Tensor>, Option<Tensor>, Option<Tensor>);

/// A layer op on the CPU with an input `x`, weights `w` and an optional bias; [`apply`] makes it
/// a candle op with autograd (a `CustomOp2` without a bias, a `CustomOp3` with one).
pub(crate) trait Layer: Send + Sync + 'static {
    /// The op's name, for errors.
    fn name(&self) -> &'static str;
    /// The output and its shape.
    fn forward(&self, x: Operand, w: Operand, bias: Option<Operand>)
    -> Result<(CpuStorage, Shape)>;
    /// The gradients of `x` (when it needs one), `w` and the bias (when given).
    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
    ) -> Result<TensorGradients>;
}

/// `layer` applied to `x`, `w` and the bias, with autograd.
pub(crate) fn apply<L: Layer>(
    layer: L,
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Result<Tensor> {
    match bias {
        Some(b) => x.apply_op3(w, b, Op(layer)),
        None => x.apply_op2(w, Op(layer)),
    }
}

/// A [`Layer`] as a candle op.
struct Op<L>(L);

impl<L: Layer> CustomOp2 for Op<L> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        xl: &Layout,
        w: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.0.forward((x, xl), (w, wl), None)
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _y: &Tensor,
        grad_y: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (grad_x, grad_w, _) = self.0.backward(x, w, None, grad_y)?;
        Ok((grad_x, grad_w))
    }
}

impl<L: Layer> CustomOp3 for Op<L> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        xl: &Layout,
        w: &CpuStorage,
        wl: &Layout,
        bias: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.0.forward((x, xl), (w, wl), Some((bias, bl)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: &Tensor,
        _y: &Tensor,
        grad_y: &Tensor,
    ) -> Result<TensorGradients> {
        self.0.backward(x, w, Some(bias), grad_y)
    }
}

/// Runs `f` on the CPU storages of `x`, `w` and `grad_y` (made contiguous), with whether `x`
/// needs a gradient; `op`'s error if one of them is on another device.
pub(crate) fn on_cpu<R>(
    op: &str,
    x: &Tensor,
    w: &Tensor,
    grad_y: &Tensor,
    f: impl FnOnce(Operand, Operand, Operand, bool) -> Result<R>,
) -> Result<R> {
    let grad_y = grad_y.contiguous()?;
    let (x_storage, x_layout) = x.storage_and_layout();
    let (w_storage, w_layout) = w.storage_and_layout();
    let (g_storage, g_layout) = grad_y.storage_and_layout();
    let (Storage::Cpu(xs), Storage::Cpu(ws), Storage::Cpu(gs)) =
        (&*x_storage, &*w_storage, &*g_storage)
    else {
        bail!("{op}: the backward pass runs on the CPU only");
    };
    f((xs, x_layout), (ws, w_layout), (gs, g_layout), x.track_op())
}

/// The elements of `z` as initialised values.
///
/// # Safety
/// Every element of `z` must have been written.
pub(crate) unsafe fn assume_written<T>(z: &mut [MaybeUninit<T>]) -> &mut [T] {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the caller promises the values are
    // initialised.
    unsafe { std::slice::from_raw_parts_mut(z.as_mut_ptr().cast(), z.len()) }
}

/// `s` as memory to write.
///
/// # Safety
/// Only initialised values may be written through the result.
pub(crate) unsafe fn as_uninit<T>(s: &mut [T]) -> &mut [MaybeUninit<T>] {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the caller writes only values.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), s.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_sums_add_every_element_in_a_fixed_order() {
        for len in [0_usize, 1, 15, 16, 17, 100] {
            let values: Vec<f64> = (0..len).map(|i| i as f64).collect();
            assert_eq!(
                sum_interleaved(&values),
                (len * len.saturating_sub(1) / 2) as f64
            );
        }
        // 1e16 + 1 loses the 1, so the order shows: lane 0 holds 1e16 and the 1 of element 16,
        // lane 1 the 1 of element 1.
        let mut values = vec![0.0_f64; 17];
        values[0] = 1e16;
        values[16] = 1.0;
        values[1] = 1.0;
        assert_eq!(sum_interleaved(&values), 1e16);
    }
}
