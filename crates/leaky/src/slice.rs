//! Slice operations: forward and backward over whole buffers.
//!
//! Each operation checks the lengths (a mismatch is an [`Error::LengthMismatch`], never a panic,
//! and nothing is written), then asks the [kernels](crate::kernels) for the tier and threads to
//! use. An activation with a kernel (see `*_kernel` below) runs it; any other activation, and
//! every activation on the scalar tier, runs a plain loop over its scalar definition, split
//! between threads the same way. A new activation needs only its scalar definition and an arm in
//! the `with_forward!` macro and the backward matches; a kernel is an optimisation on top.

use crate::kernels::{Map, Plan, Zip};
use crate::math::elu::EluParams;
use crate::math::softplus::SoftplusParams;
use crate::{Activation, Error, Float, GeluApproximation, scalar};

/// Below this length the scalar loops run on one thread.
const SCALAR_MIN_PARALLEL_LEN: usize = 16 * 1024;

impl Activation {
    /// Writes `y[i] = f(x[i])`. `y` must have the length of `x`.
    pub fn forward_slice<T: Float>(&self, x: &[T], y: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        check_len("output", x.len(), y.len())?;
        let plan = Plan::current()?;
        match forward_kernel(self) {
            Some(op) if plan.vectorized() => plan.map(op, x, y),
            _ => with_forward!(self, T, |f| {
                plan.split((x, y), SCALAR_MIN_PARALLEL_LEN, |(x, y)| map_into(x, y, f))
            }),
        }
        Ok(())
    }

    /// Replaces each `x[i]` with `f(x[i])`.
    pub fn forward_in_place<T: Float>(&self, x: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        let plan = Plan::current()?;
        match forward_kernel(self) {
            Some(op) if plan.vectorized() => plan.map_in_place(op, x),
            _ => with_forward!(self, T, |f| {
                plan.split(x, SCALAR_MIN_PARALLEL_LEN, |x| map_in_place(x, f))
            }),
        }
        Ok(())
    }

    /// Backward from the input: `grad_in[i] = grad_out[i] · f'(x[i])`.
    ///
    /// For the piecewise-linear functions this is a select, as in PyTorch, not a product:
    /// LeakyReLU gives `x > 0 ? g : g·α`, and the others `f'(x) == 0 ? 0 : g·f'(x)` (ReLU:
    /// `x <= 0 ? 0 : g`), so an infinite or NaN gradient where the function is flat gives 0.
    pub fn backward<T: Float>(
        &self,
        x: &[T],
        grad_out: &[T],
        grad_in: &mut [T],
    ) -> Result<(), Error> {
        self.validate()?;
        check_len("grad_out", x.len(), grad_out.len())?;
        check_len("grad_in", x.len(), grad_in.len())?;
        let plan = Plan::current()?;
        if let Some(op) = backward_kernel(self).filter(|_| plan.vectorized()) {
            plan.zip(op, x, grad_out, grad_in);
            return Ok(());
        }
        let mut zip = |back: &(dyn Fn(T, T) -> T + Sync)| {
            plan.split(
                (x, grad_out, &mut *grad_in),
                SCALAR_MIN_PARALLEL_LEN,
                |(x, g, gi)| zip_into(x, g, gi, back),
            )
        };
        match *self {
            Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
                let slope = T::from_f64(slope);
                zip(&|x, g| scalar::leaky_relu_backward(x, g, slope))
            }
            Activation::Relu => zip(&scalar::relu_backward),
            Activation::Sigmoid => zip(&|x, g| g * scalar::sigmoid_derivative(x)),
            Activation::Tanh => zip(&|x, g| g * scalar::tanh_derivative(x)),
            other if other.kind().is_piecewise_linear() => zip(&|x, g| {
                let d = other.derivative(x);
                if d == T::ZERO { T::ZERO } else { g * d }
            }),
            other => zip(&|x, g| g * other.derivative(x)),
        }
        Ok(())
    }

    /// Backward from the output `y = f(x)`, for when the input was overwritten (in-place forward):
    /// `grad_in[i] = grad_out[i] · f'(f⁻¹(y[i]))`.
    ///
    /// Valid where f' can be told from f(x): ReLU, LeakyReLU and PReLU with a slope ≥ 0 (the sign
    /// of y must be the sign of x, as PyTorch requires), RReLU (evaluation slope), sigmoid, tanh,
    /// ELU with α ≥ 0, SELU, CELU, Softsign, Hardtanh, ReLU6 and Hardsigmoid. Anything else is an
    /// [`Error::Unsupported`] that says why.
    pub fn backward_from_output<T: Float>(
        &self,
        y: &[T],
        grad_out: &[T],
        grad_in: &mut [T],
    ) -> Result<(), Error> {
        self.validate()?;
        check_len("grad_out", y.len(), grad_out.len())?;
        check_len("grad_in", y.len(), grad_in.len())?;
        let unsupported = |reason| {
            Err(Error::Unsupported {
                activation: self.to_string(),
                reason,
            })
        };
        match *self {
            Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope }
                if slope < 0.0 =>
            {
                return unsupported(
                    "backward from the output needs a slope >= 0 (with a negative slope the sign of the output no longer tells the sign of the input); use the backward from the input",
                );
            }
            Activation::Elu { alpha } if alpha < 0.0 => {
                return unsupported(
                    "backward from the output needs alpha >= 0; use the backward from the input",
                );
            }
            _ => {}
        }
        let plan = Plan::current()?;
        if let Some(op) = backward_from_output_kernel(self).filter(|_| plan.vectorized()) {
            plan.zip(op, y, grad_out, grad_in);
            return Ok(());
        }
        let mut zip = |back: &(dyn Fn(T, T) -> T + Sync)| {
            plan.split(
                (y, grad_out, &mut *grad_in),
                SCALAR_MIN_PARALLEL_LEN,
                |(y, g, gi)| zip_into(y, g, gi, back),
            )
        };
        let t = T::from_f64;
        // The backward of a clamp to [low, high] from its output: low < y < high ? g·inside : 0.
        // The output is strictly inside the clamp exactly where the input is.
        let clamp = |low: T, high: T, inside: T| {
            move |y: T, g: T| {
                if y <= low || y >= high {
                    T::ZERO
                } else {
                    g * inside
                }
            }
        };
        match *self {
            Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
                let slope = t(slope);
                zip(&|y, g| scalar::leaky_relu_backward(y, g, slope))
            }
            Activation::Rrelu { lower, upper } => {
                let slope = t((lower + upper) / 2.0);
                zip(&|y, g| scalar::leaky_relu_backward(y, g, slope))
            }
            Activation::Relu => zip(&scalar::relu_backward),
            Activation::Sigmoid => zip(&|y, g| g * (y * (T::ONE - y))),
            Activation::Tanh => zip(&|y, g| g * (T::ONE - y * y)),
            // f'(x) = α·e^x = y + α where y <= 0 (PyTorch's rule).
            Activation::Elu { alpha } => {
                zip(&|y, g| if y <= T::ZERO { g * (y + t(alpha)) } else { g })
            }
            Activation::Selu => {
                let scale = t(scalar::SELU_SCALE);
                let scaled_alpha = t(scalar::SELU_SCALE * scalar::SELU_ALPHA);
                zip(&|y, g| {
                    if y <= T::ZERO {
                        g * (y + scaled_alpha)
                    } else {
                        g * scale
                    }
                })
            }
            // f'(x) = e^(x/α) = y/α + 1 where y <= 0; the sign of y is the sign of x for any α.
            Activation::Celu { alpha } => zip(&|y, g| {
                if y <= T::ZERO {
                    g * (y / t(alpha) + T::ONE)
                } else {
                    g
                }
            }),
            // f'(x) = (1 - |y|)².
            Activation::Softsign => zip(&|y, g| {
                let d = T::ONE - if y < T::ZERO { -y } else { y };
                g * (d * d)
            }),
            Activation::Hardtanh { min, max } => zip(&clamp(t(min), t(max), T::ONE)),
            Activation::Relu6 => zip(&clamp(T::ZERO, t(6.0), T::ONE)),
            Activation::Hardsigmoid => zip(&clamp(T::ZERO, T::ONE, t(1.0 / 6.0))),
            _ => {
                return unsupported(
                    "its derivative cannot be told from its output (it is not invertible there); use the backward from the input",
                );
            }
        }
        Ok(())
    }
}

/// The kernel for the forward, if the activation has one; the others run the scalar loop.
fn forward_kernel<T: Float>(a: &Activation) -> Option<Map<T>> {
    match *a {
        Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
            Some(Map::LeakyRelu(T::from_f64(slope)))
        }
        Activation::Rrelu { lower, upper } => {
            Some(Map::LeakyRelu(T::from_f64((lower + upper) / 2.0)))
        }
        Activation::Relu => Some(Map::Relu),
        Activation::Sigmoid => Some(Map::Sigmoid),
        Activation::Tanh => Some(Map::Tanh),
        _ if T::NAME != "f32" => None,
        Activation::Gelu {
            approximate: GeluApproximation::None,
        } => Some(Map::Gelu),
        Activation::Gelu {
            approximate: GeluApproximation::Tanh,
        } => Some(Map::GeluTanh),
        Activation::Silu => Some(Map::Silu),
        Activation::LogSigmoid => Some(Map::LogSigmoid),
        Activation::Mish => Some(Map::Mish),
        Activation::Softsign => Some(Map::Softsign),
        Activation::Tanhshrink => Some(Map::Tanhshrink),
        _ => {
            if let Some(p) = elu_params(a) {
                Some(Map::Elu(p))
            } else {
                softplus_threshold(a)
                    .map(Map::Softplus)
                    .or_else(|| softplus_beta(a).map(Map::SoftplusBeta))
            }
        }
    }
}

/// The parameters of the ELU-family kernel, for ELU, SELU and CELU with `α` in the range the
/// kernel is accurate for (the `f32` tail of `α·e^x` stays exact for `2^-20 ≤ |α| ≤ 2^20`,
/// α = 0 included; CELU needs α > 0); `None` runs the scalar definitions.
fn elu_params(a: &Activation) -> Option<EluParams> {
    let in_range = |alpha: f64| alpha == 0.0 || in_kernel_range(alpha.abs());
    match *a {
        Activation::Elu { alpha } if in_range(alpha) => Some(EluParams::elu(alpha)),
        Activation::Selu => Some(EluParams::selu(scalar::SELU_SCALE, scalar::SELU_ALPHA)),
        Activation::Celu { alpha } if alpha > 0.0 && in_range(alpha) => {
            Some(EluParams::celu(alpha))
        }
        _ => None,
    }
}

/// For Softplus with β = 1 (other β: [`softplus_beta`]): the `f32` threshold `t` with `x > t` exactly when
/// `x > threshold` for every `f32` x, i.e. `threshold` rounded down.
fn softplus_threshold(a: &Activation) -> Option<f32> {
    match *a {
        Activation::Softplus {
            beta: 1.0,
            threshold,
        } => {
            let t = threshold as f32;
            Some(if f64::from(t) > threshold {
                t.next_down()
            } else {
                t
            })
        }
        _ => None,
    }
}

/// For Softplus with 2^-20 ≤ β ≤ 2^20, β ≠ 1 (β = 1 has its own kernel; β outside that range
/// runs the scalar definitions).
fn softplus_beta(a: &Activation) -> Option<SoftplusParams> {
    match *a {
        Activation::Softplus { beta, threshold } if beta != 1.0 && in_kernel_range(beta) => {
            Some(SoftplusParams::new(beta, threshold))
        }
        _ => None,
    }
}

/// `2^-20 ≤ v ≤ 2^20`: the parameter magnitudes that the ELU and Softplus kernels take (their
/// constants, split in two `f32` parts, keep their precision there).
fn in_kernel_range(v: f64) -> bool {
    (2f64.powi(-20)..=2f64.powi(20)).contains(&v)
}

/// The kernel for the backward from the input, if the activation has one.
fn backward_kernel<T: Float>(a: &Activation) -> Option<Zip<T>> {
    match *a {
        Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
            Some(Zip::LeakyReluBackward(T::from_f64(slope)))
        }
        Activation::Rrelu { lower, upper } => {
            Some(Zip::LeakyReluBackward(T::from_f64((lower + upper) / 2.0)))
        }
        Activation::Relu => Some(Zip::ReluBackward),
        Activation::Sigmoid => Some(Zip::SigmoidBackward),
        Activation::Tanh => Some(Zip::TanhBackward),
        _ if T::NAME != "f32" => None,
        Activation::Gelu {
            approximate: GeluApproximation::None,
        } => Some(Zip::GeluBackward),
        Activation::Gelu {
            approximate: GeluApproximation::Tanh,
        } => Some(Zip::GeluTanhBackward),
        Activation::Silu => Some(Zip::SiluBackward),
        Activation::LogSigmoid => Some(Zip::LogSigmoidBackward),
        Activation::Mish => Some(Zip::MishBackward),
        Activation::Softsign => Some(Zip::SoftsignBackward),
        Activation::Tanhshrink => Some(Zip::TanhshrinkBackward),
        _ => {
            if let Some(p) = elu_params(a) {
                Some(Zip::EluBackward(p))
            } else {
                softplus_threshold(a)
                    .map(Zip::SoftplusBackward)
                    .or_else(|| softplus_beta(a).map(Zip::SoftplusBetaBackward))
            }
        }
    }
}

/// The kernel for the backward from the output, if the activation has one (slope ≥ 0 checked
/// before).
fn backward_from_output_kernel<T: Float>(a: &Activation) -> Option<Zip<T>> {
    match *a {
        Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
            Some(Zip::LeakyReluBackward(T::from_f64(slope)))
        }
        Activation::Rrelu { lower, upper } => {
            Some(Zip::LeakyReluBackward(T::from_f64((lower + upper) / 2.0)))
        }
        Activation::Relu => Some(Zip::ReluBackward),
        Activation::Sigmoid => Some(Zip::SigmoidFromOutput),
        Activation::Tanh => Some(Zip::TanhFromOutput),
        _ => None,
    }
}

fn check_len(what: &'static str, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

/// Runs `$body` with `$f` bound to the activation's scalar forward as a concrete closure, so that
/// each loop is monomorphic and vectorisable.
macro_rules! with_forward {
    ($a:expr, $T:ty, |$f:ident| $body:expr) => {
        match *$a {
            Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
                let slope = <$T>::from_f64(slope);
                let $f = move |x: $T| scalar::leaky_relu(x, slope);
                $body
            }
            Activation::Relu => {
                let $f = scalar::relu::<$T>;
                $body
            }
            Activation::Sigmoid => {
                let $f = scalar::sigmoid::<$T>;
                $body
            }
            Activation::Tanh => {
                let $f = scalar::tanh::<$T>;
                $body
            }
            other => {
                let $f = move |x: $T| other.forward(x);
                $body
            }
        }
    };
}
use with_forward;

#[inline(always)]
fn map_into<T: Float>(x: &[T], y: &mut [T], f: impl Fn(T) -> T) {
    for (out, &v) in y.iter_mut().zip(x) {
        *out = f(v);
    }
}

#[inline(always)]
fn map_in_place<T: Float>(x: &mut [T], f: impl Fn(T) -> T) {
    for v in x.iter_mut() {
        *v = f(*v);
    }
}

/// `grad_in[i] = back(x[i], grad_out[i])`.
#[inline(always)]
fn zip_into<T: Float>(x: &[T], grad_out: &[T], grad_in: &mut [T], back: &dyn Fn(T, T) -> T) {
    for ((gi, &g), &v) in grad_in.iter_mut().zip(grad_out).zip(x) {
        *gi = back(v, g);
    }
}
