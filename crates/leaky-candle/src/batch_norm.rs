//! Batch normalisation in training mode as one candle op: [`BatchNorm`] wraps candle-nn's
//! layer (the same weights, running statistics, names and checkpoints) and, in training on the
//! CPU, computes the normalisation and its gradient in one pass each, where candle-nn's takes
//! about a dozen tensor ops each way (and a transposed copy of the input).
//!
//! For `x (n, C, ...)` with `m = n·(elements per channel and image)` values per channel:
//!
//! ```text
//! μ = Σx / m    σ² = Σ(x - μ)² / m    x̂ = (x - μ) / √(σ² + ε)    y = γ·x̂ + β
//! grad_β = Σ grad_y    grad_γ = Σ grad_y·x̂
//! grad_x = γ / √(σ² + ε) · (grad_y - grad_β / m - x̂ · grad_γ / m)
//! ```
//!
//! and the running statistics move as in candle-nn and PyTorch: `r_μ ← (1 - p)·r_μ + p·μ`,
//! `r_σ² ← (1 - p)·r_σ² + p·σ²·m / (m - 1)` for the momentum `p`. Each channel's sums run in
//! order on one thread, so the result is the same bits whatever the number of threads.

use std::sync::Arc;

use candle_core::{CpuStorage, DType, Device, ModuleT, Result, Shape, Tensor, Var, bail};
use rayon::prelude::*;

use crate::cpu::{
    self, Gradients, Layer, Operand, Saved, TensorGradients, as_tensors, on_cpu, slice,
};
use crate::matmul::Real;

/// A batch-normalisation layer: candle-nn's [`candle_nn::BatchNorm`], computed in training with
/// one op each way on the CPU (`f32` and `f64`, with weight and bias); candle-nn's own otherwise.
#[derive(Clone, Debug)]
pub struct BatchNorm(candle_nn::BatchNorm);

impl BatchNorm {
    /// Wraps a candle batch-norm layer.
    pub fn new(inner: candle_nn::BatchNorm) -> Self {
        BatchNorm(inner)
    }

    /// The candle layer it wraps.
    pub fn inner(&self) -> &candle_nn::BatchNorm {
        &self.0
    }
}

impl ModuleT for BatchNorm {
    /// `(n, C, ...)` → the same shape; `train` normalises by the batch's statistics and moves
    /// the running ones, otherwise by the running ones.
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let inner = &self.0;
        let fast =
            matches!(x.device(), Device::Cpu) && matches!(x.dtype(), DType::F32 | DType::F64);
        let Some((weight, bias)) = inner.weight_and_bias().filter(|_| train && fast) else {
            return inner.forward_t(x, train);
        };
        let dims = x.dims();
        let channels = inner.running_mean().dim(0)?;
        if dims.len() < 2 || dims[1] != channels {
            bail!(
                "batch-norm: an input of shape {:?} for {channels} channels",
                x.shape()
            );
        }
        let per_image: usize = dims[2..].iter().product();
        let values = dims[0] * per_image;
        if values < 2 {
            bail!(
                "batch-norm: a batch of shape {:?} has one value per channel",
                x.shape()
            );
        }
        if weight.dtype() != x.dtype() {
            bail!(
                "batch-norm: mixed dtypes: input {:?}, weight {:?}",
                x.dtype(),
                weight.dtype()
            );
        }
        let op = Normalise {
            images: dims[0],
            channels,
            per_image,
            eps: inner.eps(),
            moments: Arc::new(Saved::new()),
        };
        let moments = Arc::clone(&op.moments);
        let y = cpu::apply(
            op,
            &x.contiguous()?,
            &weight.contiguous()?,
            Some(&bias.contiguous()?),
        )?;
        // The running statistics move by the batch's, which the forward pass kept.
        let (mean, var) = moments.with("batch-norm", |m| Ok((m.mean.clone(), m.var.clone())))?;
        let p = inner.momentum();
        let unbiased = values as f64 / (values as f64 - 1.0);
        let mean = Tensor::from_vec(mean, channels, &Device::Cpu)?
            .to_dtype(inner.running_mean().dtype())?;
        let var =
            Tensor::from_vec(var, channels, &Device::Cpu)?.to_dtype(inner.running_var().dtype())?;
        let running_mean = ((inner.running_mean() * (1.0 - p))? + (mean * p)?)?;
        let running_var = ((inner.running_var() * (1.0 - p))? + (var * (p * unbiased))?)?;
        Var::from_tensor(inner.running_mean())?.set(&running_mean)?;
        Var::from_tensor(inner.running_var())?.set(&running_var)?;
        Ok(y)
    }
}

/// `v` as `f64`, exactly.
fn wide<T: Real>(v: T) -> f64 {
    candle_core::WithDType::to_f64(v)
}

/// `v` rounded to `T`.
fn of_f64<T: Real>(v: f64) -> T {
    <T as candle_core::WithDType>::from_f64(v)
}

/// A channel's statistics over the batch, as `f64` holding the op's own `T` values exactly.
struct Moments {
    mean: Vec<f64>,
    /// The biased variance `σ²`.
    var: Vec<f64>,
    /// `1 / √(σ² + ε)`.
    inv_std: Vec<f64>,
}

/// The op: `images × channels × per_image` values, normalised per channel.
struct Normalise {
    images: usize,
    channels: usize,
    per_image: usize,
    eps: f64,
    moments: Arc<Saved<Moments>>,
}

impl Normalise {
    /// The values of channel `c`, image by image.
    fn channel<'a, T>(&self, x: &'a [T], c: usize) -> impl Iterator<Item = &'a [T]> {
        let (s, stride) = (self.per_image, self.channels * self.per_image);
        x.chunks(stride)
            .map(move |image| &image[c * s..(c + 1) * s])
    }

    fn values(&self) -> f64 {
        (self.images * self.per_image) as f64
    }

    fn forward<T: Real>(&self, x: &[T], gamma: &[T], beta: &[T]) -> Vec<T> {
        let m = self.values();
        let stats: Vec<(T, T, T)> = (0..self.channels)
            .into_par_iter()
            .map(|c| {
                let sum: f64 = self.channel(x, c).flatten().map(|&v| wide(v)).sum();
                let mean = of_f64::<T>(sum / m);
                let mean64 = wide(mean);
                let squares: f64 = self
                    .channel(x, c)
                    .flatten()
                    .map(|&v| (wide(v) - mean64).powi(2))
                    .sum();
                let var = of_f64::<T>(squares / m);
                let inv_std = of_f64::<T>(1.0 / (wide(var) + self.eps).sqrt());
                (mean, var, inv_std)
            })
            .collect();
        let mut y = vec![T::zero(); x.len()];
        let s = self.per_image;
        y.par_chunks_mut(self.channels * s)
            .zip(x.par_chunks(self.channels * s))
            .for_each(|(y, x)| {
                let planes = y.chunks_mut(s).zip(x.chunks(s)).zip(&stats);
                for (((y, x), &(mean, _, inv_std)), (&g, &b)) in planes.zip(gamma.iter().zip(beta))
                {
                    for (y, &x) in y.iter_mut().zip(x) {
                        *y = g * ((x - mean) * inv_std) + b;
                    }
                }
            });
        self.moments.put(Moments {
            mean: stats.iter().map(|s| wide(s.0)).collect(),
            var: stats.iter().map(|s| wide(s.1)).collect(),
            inv_std: stats.iter().map(|s| wide(s.2)).collect(),
        });
        y
    }

    fn backward<T: Real>(
        &self,
        moments: &Moments,
        x: &[T],
        gamma: &[T],
        grad_y: &[T],
    ) -> Gradients<T> {
        let m = self.values();
        let at = |v: &[f64], c: usize| of_f64::<T>(v[c]);
        // Per channel: (Σ grad_y, Σ grad_y·x̂), each summed in order.
        let sums: Vec<(T, T)> = (0..self.channels)
            .into_par_iter()
            .map(|c| {
                let (mean, inv_std) = (at(&moments.mean, c), at(&moments.inv_std, c));
                let pairs = self
                    .channel(grad_y, c)
                    .flatten()
                    .zip(self.channel(x, c).flatten());
                let (gb, gg) = pairs.fold((0.0, 0.0), |(gb, gg), (&g, &x)| {
                    let xhat = (x - mean) * inv_std;
                    (gb + wide(g), gg + wide(g * xhat))
                });
                (of_f64::<T>(gb), of_f64::<T>(gg))
            })
            .collect();
        let s = self.per_image;
        let mut grad_x = vec![T::zero(); x.len()];
        let m_t = of_f64::<T>(m);
        grad_x
            .par_chunks_mut(self.channels * s)
            .zip(
                x.par_chunks(self.channels * s)
                    .zip(grad_y.par_chunks(self.channels * s)),
            )
            .for_each(|(gx, (x, g))| {
                for c in 0..self.channels {
                    let (mean, inv_std) = (at(&moments.mean, c), at(&moments.inv_std, c));
                    let (gb, gg) = sums[c];
                    let scale = gamma[c] * inv_std;
                    let planes = gx[c * s..(c + 1) * s]
                        .iter_mut()
                        .zip(&x[c * s..(c + 1) * s]);
                    for ((gx, &x), &g) in planes.zip(&g[c * s..(c + 1) * s]) {
                        let xhat = (x - mean) * inv_std;
                        *gx = scale * (g - gb / m_t - xhat * (gg / m_t));
                    }
                }
            });
        let grad_gamma = sums.iter().map(|s| s.1).collect();
        let grad_beta = sums.iter().map(|s| s.0).collect();
        (Some(grad_x), grad_gamma, grad_beta)
    }
}

impl Layer for Normalise {
    fn name(&self) -> &'static str {
        "batch-norm"
    }

    fn forward(
        &self,
        x: Operand,
        w: Operand,
        bias: Option<Operand>,
    ) -> Result<(CpuStorage, Shape)> {
        let Some(bias) = bias else {
            bail!("batch-norm: the fused op needs a bias");
        };
        let shape = x.1.shape().clone();
        let y = match (x.0, w.0, bias.0) {
            (CpuStorage::F32(_), CpuStorage::F32(_), CpuStorage::F32(_)) => {
                CpuStorage::F32(self.forward(slice(x)?, slice(w)?, slice(bias)?))
            }
            (CpuStorage::F64(_), CpuStorage::F64(_), CpuStorage::F64(_)) => {
                CpuStorage::F64(self.forward(slice(x)?, slice(w)?, slice(bias)?))
            }
            _ => bail!("batch-norm: unsupported or mixed dtypes"),
        };
        Ok((y, shape))
    }

    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
    ) -> Result<TensorGradients> {
        self.moments.with("batch-norm", |moments| {
            on_cpu("batch-norm", x, w, grad_y, |xs, ws, gs, input| {
                let (grad_x, grad_w, grad_b) = match x.dtype() {
                    DType::F32 => {
                        let g = self.backward::<f32>(moments, slice(xs)?, slice(ws)?, slice(gs)?);
                        as_tensors(g, x, w, bias)?
                    }
                    DType::F64 => {
                        let g = self.backward::<f64>(moments, slice(xs)?, slice(ws)?, slice(gs)?);
                        as_tensors(g, x, w, bias)?
                    }
                    dtype => bail!("batch-norm: unsupported dtype {dtype:?}"),
                };
                Ok((grad_x.filter(|_| input), grad_w, grad_b))
            })
        })
    }
}
