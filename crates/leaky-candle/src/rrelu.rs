//! [`Rrelu`]: RReLU as a layer, random slopes in training and their mean in evaluation.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, DType, Device, Error, Layout, ModuleT, Result, Shape, Tensor,
};
use leaky::rrelu::Rng;
use leaky::{Activation, Float, Kind};

use crate::activate;
use crate::fused::contiguous;

/// RReLU as a layer, `y = x > 0 ? x : a·x`, with PyTorch's two behaviours ([`ModuleT`]'s
/// `train` flag):
///
/// - training (`forward_t(xs, true)`): a fresh slope `a ~ U(lower, upper)` for each element with
///   x ≤ 0, drawn by [`leaky::rrelu::forward_train`] from the layer's generator, seeded at
///   construction so that a run can be repeated; the backward multiplies by the slopes recorded
///   in that forward pass, `grad_x = grad · a` (`a` = 1 where x > 0, so f'(0) is the drawn
///   slope). One fused pass each way on the CPU, in `f32` and `f64`; `f16` and `bf16` run in
///   `f32`, and tensors on other devices are copied to the CPU and back.
/// - evaluation (`forward_t(xs, false)`): [`Activation::Rrelu`], LeakyReLU with the mean slope
///   `(lower + upper) / 2`, through [`activate`].
///
/// In both, NaN gives NaN and -0 gives -0 times a positive slope. Successive training passes
/// continue the generator's sequence; the layer can be shared between threads (the generator is
/// behind a lock).
#[derive(Debug)]
pub struct Rrelu {
    lower: f64,
    upper: f64,
    rng: Arc<Mutex<Rng>>,
}

impl Rrelu {
    /// A layer drawing slopes from `U(lower, upper)` with a generator seeded by `seed`.
    /// PyTorch's defaults are `lower = 1/8`, `upper = 1/3`. Errors: `lower > upper`, or a bound
    /// that is not finite (the core's message).
    pub fn new(lower: f64, upper: f64, seed: u64) -> Result<Self> {
        Kind::Rrelu
            .with_params(&[lower, upper])
            .map_err(Error::wrap)?;
        Ok(Self {
            lower,
            upper,
            rng: Arc::new(Mutex::new(Rng::new(seed))),
        })
    }

    /// The activation applied in evaluation: LeakyReLU with slope `(lower + upper) / 2`.
    pub fn activation(&self) -> Activation {
        Activation::Rrelu {
            lower: self.lower,
            upper: self.upper,
        }
    }
}

impl ModuleT for Rrelu {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        if !train {
            return activate(xs, &self.activation());
        }
        match xs.dtype() {
            DType::F32 | DType::F64 if xs.device().is_cpu() => xs.apply_op1(TrainForward {
                lower: self.lower,
                upper: self.upper,
                rng: Arc::clone(&self.rng),
                slopes: OnceLock::new(),
            }),
            DType::F32 | DType::F64 => self
                .forward_t(&xs.to_device(&Device::Cpu)?, true)?
                .to_device(xs.device()),
            DType::F16 | DType::BF16 => self
                .forward_t(&xs.to_dtype(DType::F32)?, true)?
                .to_dtype(xs.dtype()),
            dtype => Err(Error::UnsupportedDTypeForOp(dtype, "rrelu")),
        }
    }
}

/// One training forward pass: draws the slopes, keeps them for its backward.
struct TrainForward {
    lower: f64,
    upper: f64,
    rng: Arc<Mutex<Rng>>,
    /// The factor each element was multiplied by, set by the forward pass.
    slopes: OnceLock<CpuStorage>,
}

/// `grad_x = grad_y · slopes`, by [`leaky::rrelu::backward`].
struct Backward<'a>(&'a CpuStorage);

impl CustomOp1 for TrainForward {
    fn name(&self) -> &'static str {
        "rrelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        // The generator's state is valid whatever a panicking holder did, so a poisoned lock is
        // taken over.
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let (y, slopes) = match storage {
            CpuStorage::F32(x) => {
                let (y, slopes) = self.draw(x, layout, &mut rng)?;
                (CpuStorage::F32(y), CpuStorage::F32(slopes))
            }
            CpuStorage::F64(x) => {
                let (y, slopes) = self.draw(x, layout, &mut rng)?;
                (CpuStorage::F64(y), CpuStorage::F64(slopes))
            }
            other => return Err(Error::UnsupportedDTypeForOp(other.dtype(), self.name())),
        };
        self.slopes
            .set(slopes)
            .map_err(|_| Error::Msg("rrelu: one training pass ran its forward twice".into()))?;
        Ok((y, layout.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        let slopes = self
            .slopes
            .get()
            .ok_or_else(|| Error::Msg("rrelu: backward before the forward pass".into()))?;
        grad_y.apply_op1_no_bwd(&Backward(slopes)).map(Some)
    }
}

impl TrainForward {
    /// `y` and the slopes, by the core.
    fn draw<T: Float>(&self, x: &[T], layout: &Layout, rng: &mut Rng) -> Result<(Vec<T>, Vec<T>)> {
        let x = contiguous(x, layout);
        let mut y = vec![T::ZERO; x.len()];
        let mut slopes = vec![T::ZERO; x.len()];
        leaky::rrelu::forward_train(&x, self.lower, self.upper, rng, &mut y, &mut slopes)
            .map_err(Error::wrap)?;
        Ok((y, slopes))
    }
}

impl CustomOp1 for Backward<'_> {
    fn name(&self) -> &'static str {
        "rrelu-backward"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let grad_x = match (self.0, storage) {
            (CpuStorage::F32(slopes), CpuStorage::F32(g)) => {
                CpuStorage::F32(scale(slopes, g, layout)?)
            }
            (CpuStorage::F64(slopes), CpuStorage::F64(g)) => {
                CpuStorage::F64(scale(slopes, g, layout)?)
            }
            (slopes, g) => {
                return Err(Error::DTypeMismatchBinaryOp {
                    lhs: slopes.dtype(),
                    rhs: g.dtype(),
                    op: self.name(),
                });
            }
        };
        Ok((grad_x, layout.shape().clone()))
    }
}

fn scale<T: Float>(slopes: &[T], grad_y: &[T], layout: &Layout) -> Result<Vec<T>> {
    let grad_y = contiguous(grad_y, layout);
    let mut grad_x = vec![T::ZERO; grad_y.len()];
    leaky::rrelu::backward(slopes, &grad_y, &mut grad_x).map_err(Error::wrap)?;
    Ok(grad_x)
}
