//! Slice operations: forward and backward over whole buffers, by the scalar definitions.
//!
//! Each operation matches on the activation once and then runs a plain loop that the compiler
//! vectorises for the piecewise-linear functions. Lengths are checked first: a mismatch is an
//! [`Error::LengthMismatch`], never a panic, and nothing is written.

use crate::{Activation, Error, Float, scalar};

impl Activation {
    /// Writes `y[i] = f(x[i])`. `y` must have the length of `x`.
    pub fn forward_slice<T: Float>(&self, x: &[T], y: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        check_len("output", x.len(), y.len())?;
        with_forward!(self, T, |f| map_into(x, y, f));
        Ok(())
    }

    /// Replaces each `x[i]` with `f(x[i])`.
    pub fn forward_in_place<T: Float>(&self, x: &mut [T]) -> Result<(), Error> {
        self.validate()?;
        with_forward!(self, T, |f| map_in_place(x, f));
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
        match *self {
            Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
                let slope = T::from_f64(slope);
                zip_into(x, grad_out, grad_in, |x, g| {
                    scalar::leaky_relu_backward(x, g, slope)
                })
            }
            Activation::Relu => zip_into(x, grad_out, grad_in, scalar::relu_backward),
            Activation::Sigmoid => zip_into(x, grad_out, grad_in, |x, g| {
                g * scalar::sigmoid_derivative(x)
            }),
            Activation::Tanh => {
                zip_into(x, grad_out, grad_in, |x, g| g * scalar::tanh_derivative(x))
            }
            other if other.kind().is_piecewise_linear() => {
                zip_into(x, grad_out, grad_in, |x, g| {
                    let d = other.derivative(x);
                    if d == T::ZERO { T::ZERO } else { g * d }
                })
            }
            other => zip_into(x, grad_out, grad_in, |x, g| g * other.derivative(x)),
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
        let t = T::from_f64;
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
            Activation::LeakyRelu { alpha: slope } | Activation::Prelu { weight: slope } => {
                let slope = t(slope);
                zip_into(y, grad_out, grad_in, |y, g| {
                    scalar::leaky_relu_backward(y, g, slope)
                })
            }
            Activation::Rrelu { lower, upper } => {
                let slope = t((lower + upper) / 2.0);
                zip_into(y, grad_out, grad_in, |y, g| {
                    scalar::leaky_relu_backward(y, g, slope)
                })
            }
            Activation::Relu => zip_into(y, grad_out, grad_in, scalar::relu_backward),
            Activation::Sigmoid => zip_into(y, grad_out, grad_in, |y, g| g * (y * (T::ONE - y))),
            Activation::Tanh => zip_into(y, grad_out, grad_in, |y, g| g * (T::ONE - y * y)),
            // f'(x) = α·e^x = y + α where y <= 0 (PyTorch's rule).
            Activation::Elu { alpha } => zip_into(y, grad_out, grad_in, |y, g| {
                if y <= T::ZERO { g * (y + t(alpha)) } else { g }
            }),
            Activation::Selu => {
                let scale = t(scalar::SELU_SCALE);
                let scaled_alpha = t(scalar::SELU_SCALE * scalar::SELU_ALPHA);
                zip_into(y, grad_out, grad_in, |y, g| {
                    if y <= T::ZERO {
                        g * (y + scaled_alpha)
                    } else {
                        g * scale
                    }
                })
            }
            // f'(x) = e^(x/α) = y/α + 1 where y <= 0; the sign of y is the sign of x for any α.
            Activation::Celu { alpha } => zip_into(y, grad_out, grad_in, |y, g| {
                if y <= T::ZERO {
                    g * (y / t(alpha) + T::ONE)
                } else {
                    g
                }
            }),
            // f'(x) = (1 - |y|)².
            Activation::Softsign => zip_into(y, grad_out, grad_in, |y, g| {
                let d = T::ONE - if y < T::ZERO { -y } else { y };
                g * (d * d)
            }),
            // The output is strictly inside the clamp exactly where the input is.
            Activation::Hardtanh { min, max } => {
                clamp_backward(y, grad_out, grad_in, t(min), t(max), T::ONE)
            }
            Activation::Relu6 => clamp_backward(y, grad_out, grad_in, T::ZERO, t(6.0), T::ONE),
            Activation::Hardsigmoid => {
                clamp_backward(y, grad_out, grad_in, T::ZERO, T::ONE, t(1.0 / 6.0))
            }
            _ => {
                return unsupported(
                    "its derivative cannot be told from its output (it is not invertible there); use the backward from the input",
                );
            }
        }
        Ok(())
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
fn zip_into<T: Float>(x: &[T], grad_out: &[T], grad_in: &mut [T], back: impl Fn(T, T) -> T) {
    for ((gi, &g), &v) in grad_in.iter_mut().zip(grad_out).zip(x) {
        *gi = back(v, g);
    }
}

/// Backward of a clamp to `[low, high]` from its output: `low < y < high ? g·inside : 0`.
fn clamp_backward<T: Float>(
    y: &[T],
    grad_out: &[T],
    grad_in: &mut [T],
    low: T,
    high: T,
    inside: T,
) {
    zip_into(y, grad_out, grad_in, |y, g| {
        if y <= low || y >= high {
            T::ZERO
        } else {
            g * inside
        }
    })
}
