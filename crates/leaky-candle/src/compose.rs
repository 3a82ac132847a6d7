//! The composed forms: each activation and its derivative written with candle's own tensor ops,
//! so that they run on any device, and [`with_derivative`], which joins a value and a derivative
//! into one tensor that autograd differentiates as `grad · f'(x)`.
//!
//! The formulas are the core's (see [`leaky::scalar`]), operation for operation where they are
//! piecewise linear, and with the same tail-safe rewrites where they are smooth: `expm1` and
//! `log1p` (which candle lacks) by Kahan's products, sigmoid as `e^-|x| / (1 + e^-|x|)` on the
//! left. Two losses remain, documented on [`crate::activate_composed`]: candle has `erf` but no
//! `erfc`, so exact GELU's left tail is accurate only in absolute terms, and Tanhshrink is
//! `x - tanh(x)` near 0 too, without the core's Taylor series.

use candle_core::{Result, Tensor};
use leaky::{Activation, GeluApproximation, scalar};

/// `act(x)` with the gradient `grad · act'(x)`, from the formulas below; `None` for an
/// activation that has no formula here.
pub(crate) fn apply(x: &Tensor, act: &Activation) -> Result<Option<Tensor>> {
    let input = x.detach();
    match formulas(&input, act)? {
        Some((f, d)) => with_derivative(x, &f, &d).map(Some),
        None => Ok(None),
    }
}

/// A tensor whose value is `f` and whose gradient with respect to `x` is `grad · d`, for `f` and
/// `d` computed from `x` without autograd.
///
/// Where `x` and `d` are finite, the value is `f - |(x̄ - x)·d|` with `x̄` the detached `x`: the
/// subtracted term is exactly +0, so the value is `f` bit for bit (-0 included), and its gradient
/// is `grad · d`. Elsewhere (`x` = ±inf or NaN) the value is `f` where `d` = 0 and `x·d` where it
/// is not: every activation's `f(±inf)` is then `±inf·f'(±inf)`, and NaN stays NaN. One loss:
/// where `d` itself overflows at a finite `x` (CELU with α < 0 far left) the gradient is NaN
/// rather than ±inf.
fn with_derivative(x: &Tensor, f: &Tensor, d: &Tensor) -> Result<Tensor> {
    let zero = (x.detach() - x)?.mul(d)?;
    let finite = zero.eq(0.0)?;
    let at_infinity = d.eq(0.0)?.where_cond(f, &x.mul(d)?)?;
    finite.where_cond(&(f - zero.abs()?)?, &at_infinity)
}

/// `(f(x), f'(x))` elementwise, in `x`'s dtype, for every activation that
/// [`crate::activate_composed`] does not compose more directly.
fn formulas(x: &Tensor, act: &Activation) -> Result<Option<(Tensor, Tensor)>> {
    use std::f64::consts::{FRAC_1_SQRT_2, PI};
    let pair = match *act {
        // x > 0 ? x : α·(e^x - 1); f' = x > 0 ? 1 : α·e^x.
        Activation::Elu { alpha } => {
            let positive = x.gt(0.0)?;
            (
                positive.where_cond(x, &exp_m1(x)?.times(alpha)?)?,
                positive.where_cond(&x.constant(1.0)?, &x.exp()?.times(alpha)?)?,
            )
        }
        // scale·(x > 0 ? x : α·(e^x - 1)); f' = x > 0 ? scale : scale·α·e^x.
        Activation::Selu => {
            let (alpha, scale) = (scalar::SELU_ALPHA, scalar::SELU_SCALE);
            let positive = x.gt(0.0)?;
            let negative = exp_m1(x)?.times(alpha)?;
            (
                positive.where_cond(x, &negative)?.times(scale)?,
                positive.where_cond(&x.constant(scale)?, &x.exp()?.times(scale * alpha)?)?,
            )
        }
        // x > 0 ? x : α·(e^(x/α) - 1); f' = x > 0 ? 1 : e^(x/α).
        Activation::Celu { alpha } => {
            let positive = x.gt(0.0)?;
            let scaled = x.over(alpha)?;
            (
                positive.where_cond(x, &exp_m1(&scaled)?.times(alpha)?)?,
                positive.where_cond(&x.constant(1.0)?, &scaled.exp()?)?,
            )
        }
        // x·Φ(x), Φ(x) = (1 + erf(x/√2))/2; f' = Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π).
        Activation::Gelu {
            approximate: GeluApproximation::None,
        } => {
            let cdf = x.times(FRAC_1_SQRT_2)?.erf()?.plus(1.0)?.times(0.5)?;
            let pdf = x
                .sqr()?
                .times(-0.5)?
                .exp()?
                .times(1.0 / (2.0 * PI).sqrt())?;
            (
                left_limit_zero(x, &(x * &cdf)?)?,
                flat_tails(x, &(&cdf + (x * pdf)?)?)?,
            )
        }
        // x·σ(2u), u = √(2/π)·(x + 0.044715·x³);
        // f' = σ(2u) + 2x·σ'(2u)·√(2/π)·(1 + 3·0.044715·x²), flat beyond |x| = 1e10.
        Activation::Gelu {
            approximate: GeluApproximation::Tanh,
        } => {
            const CUBIC: f64 = 0.044_715;
            let sqrt_2_over_pi = (2.0 / PI).sqrt();
            let cube = (x.times(CUBIC)? * x)?.mul(x)?;
            let twice_u = (x + cube)?.times(sqrt_2_over_pi)?.times(2.0)?;
            let s = sigmoid(&twice_u)?;
            let du = (x.times(3.0 * CUBIC)? * x)?
                .plus(1.0)?
                .times(sqrt_2_over_pi)?;
            let derivative = (&s + (x.times(2.0)? * sigmoid_derivative(&twice_u)?)?.mul(&du)?)?;
            let far = x.abs()?.gt(1e10)?;
            (
                left_limit_zero(x, &(x * s)?)?,
                far.where_cond(&step(x)?, &derivative)?,
            )
        }
        // x·σ(x); f' = σ(x)·(1 + x·σ(-x)).
        Activation::Silu => {
            let s = sigmoid(x)?;
            let derivative = (&s * (x * sigmoid(&x.neg()?)?)?.plus(1.0)?)?;
            (left_limit_zero(x, &(x * &s)?)?, flat_tails(x, &derivative)?)
        }
        // x·tanh(sp), sp = softplus(x); f' = tanh(sp) + x·(1 - tanh²(sp))·σ(x).
        Activation::Mish => {
            let sp = softplus(x)?;
            let t = sp.tanh()?;
            let derivative = (&t + (x * tanh_derivative(&sp)?)?.mul(&sigmoid(x)?)?)?;
            (left_limit_zero(x, &(x * &t)?)?, flat_tails(x, &derivative)?)
        }
        // βx > threshold ? x : log(1 + e^(βx))/β; f' = βx > threshold ? 1 : σ(βx).
        Activation::Softplus { beta, threshold } => {
            let z = x.times(beta)?;
            let linear = z.gt(threshold)?;
            (
                linear.where_cond(x, &softplus(&z)?.over(beta)?)?,
                linear.where_cond(&x.constant(1.0)?, &sigmoid(&z)?)?,
            )
        }
        // x / (1 + |x|), ±1 at ±inf; f' = 1 / (1 + |x|)².
        Activation::Softsign => {
            let denominator = x.abs()?.plus(1.0)?;
            let sign = x
                .gt(0.0)?
                .where_cond(&x.constant(1.0)?, &x.constant(-1.0)?)?;
            (
                is_infinite(x)?.where_cond(&sign, &(x / &denominator)?)?,
                (&denominator * &denominator)?.recip()?,
            )
        }
        Activation::Hardtanh { min, max } => (clamp(x, min, max)?, inside(x, min, max, 1.0)?),
        Activation::Relu6 => (clamp(x, 0.0, 6.0)?, inside(x, 0.0, 6.0, 1.0)?),
        // clamp(x + 3, 0, 6) / 6; f' = -3 < x < 3 ? 1/6 : 0.
        Activation::Hardsigmoid => (
            clamp(&x.plus(3.0)?, 0.0, 6.0)?.over(6.0)?,
            inside(x, -3.0, 3.0, 1.0 / 6.0)?,
        ),
        // x <= -3 ? -0 : x·clamp(x + 3, 0, 6)/6; f' = x <= -3 ? 0 : x >= 3 ? 1 : x/3 + 1/2.
        Activation::Hardswish => {
            let dead = x.le(-3.0)?;
            let value = (x * clamp(&x.plus(3.0)?, 0.0, 6.0)?)?.over(6.0)?;
            let slope = x
                .ge(3.0)?
                .where_cond(&x.constant(1.0)?, &x.over(3.0)?.plus(0.5)?)?;
            (
                dead.where_cond(&x.constant(-0.0)?, &value)?,
                dead.where_cond(&x.constant(0.0)?, &slope)?,
            )
        }
        // min(x, 0) - log(1 + e^-|x|); f' = σ(-x).
        Activation::LogSigmoid => {
            let negative_part = x.lt(0.0)?.where_cond(x, &x.constant(0.0)?)?;
            let log_term = log1p(&x.abs()?.neg()?.exp()?)?;
            ((negative_part - log_term)?, sigmoid(&x.neg()?)?)
        }
        // x - tanh(x); f' = tanh²(x).
        Activation::Tanhshrink => {
            let t = x.tanh()?;
            ((x - &t)?, (&t * &t)?)
        }
        // |x| <= λ ? 0 : x ∓ λ; f' = |x| > λ ? 1 : 0.
        Activation::Softshrink { lambda } => {
            let outside = x
                .gt(lambda)?
                .where_cond(&x.plus(-lambda)?, &x.plus(lambda)?)?;
            (dead_zone(x, lambda, &outside)?, outside_zone(x, lambda)?)
        }
        // |x| <= λ ? 0 : x; f' = |x| > λ ? 1 : 0.
        Activation::Hardshrink { lambda } => (dead_zone(x, lambda, x)?, outside_zone(x, lambda)?),
        // x <= threshold ? value : x; f' = x <= threshold ? 0 : 1.
        Activation::Threshold { threshold, value } => {
            let below = x.le(threshold)?;
            (
                below.where_cond(&x.constant(value)?, x)?,
                below.where_cond(&x.constant(0.0)?, &x.constant(1.0)?)?,
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(pair))
}

/// Arithmetic with a constant, in the tensor's dtype, rounding as the core's scalar code does
/// (`Tensor * f64` and `Tensor / f64` are an `affine`, which adds +0, so turns -0 into +0, and
/// divides by multiplying with a rounded reciprocal).
trait Constants {
    /// `v` in the shape, dtype and device of `self` (broadcast, not allocated).
    fn constant(&self, v: f64) -> Result<Tensor>;
    /// `self · v`, with `v` rounded to the dtype.
    fn times(&self, v: f64) -> Result<Tensor>;
    /// `self / v`, a true division.
    fn over(&self, v: f64) -> Result<Tensor>;
    /// `self + v`.
    fn plus(&self, v: f64) -> Result<Tensor>;
}

impl Constants for Tensor {
    fn constant(&self, v: f64) -> Result<Tensor> {
        Tensor::new(v, self.device())?
            .to_dtype(self.dtype())?
            .broadcast_as(self.shape())
    }

    fn times(&self, v: f64) -> Result<Tensor> {
        self.mul(&self.constant(v)?)
    }

    fn over(&self, v: f64) -> Result<Tensor> {
        self.div(&self.constant(v)?)
    }

    fn plus(&self, v: f64) -> Result<Tensor> {
        self.affine(1.0, v)
    }
}

/// `e^x - 1` with full relative accuracy near 0: Kahan's `(u - 1)·x / log u`, `u = e^x`, for
/// |x| < 1 (and `x` itself where `u` rounds to 1), plain `u - 1` elsewhere.
fn exp_m1(x: &Tensor) -> Result<Tensor> {
    let u = x.exp()?;
    let u_minus_1 = u.plus(-1.0)?;
    let kahan = (&u_minus_1 * x)?.div(&u.log()?)?;
    let near_zero = u.eq(1.0)?.where_cond(x, &kahan)?;
    x.abs()?.lt(1.0)?.where_cond(&near_zero, &u_minus_1)
}

/// `log(1 + t)` for `t` in [0, 1] (or NaN), with full relative accuracy for small `t`: Kahan's
/// `log(u)·t / (u - 1)`, `u = 1 + t`, and `t` itself where `u` rounds to 1.
fn log1p(t: &Tensor) -> Result<Tensor> {
    let u = t.plus(1.0)?;
    let kahan = (u.log()? * t)?.div(&u.plus(-1.0)?)?;
    u.eq(1.0)?.where_cond(t, &kahan)
}

/// σ(x) = `1 / (1 + e^-x)`, as `e^x / (1 + e^x)` for x < 0 so that the left tail keeps its
/// relative accuracy.
fn sigmoid(x: &Tensor) -> Result<Tensor> {
    let e = x.abs()?.neg()?.exp()?;
    let denominator = e.plus(1.0)?;
    x.lt(0.0)?
        .where_cond(&(&e / &denominator)?, &denominator.recip()?)
}

/// σ'(x) = `t / (1 + t)²`, `t = e^-|x|`.
fn sigmoid_derivative(x: &Tensor) -> Result<Tensor> {
    let t = x.abs()?.neg()?.exp()?;
    let denominator = t.plus(1.0)?;
    t.div(&(&denominator * &denominator)?)
}

/// tanh'(x) = `1 - tanh²(x)` = `4t / (1 + t)²`, `t = e^-2|x|`.
fn tanh_derivative(x: &Tensor) -> Result<Tensor> {
    let t = x.abs()?.times(-2.0)?.exp()?;
    let denominator = t.plus(1.0)?;
    t.times(4.0)?.div(&(&denominator * &denominator)?)
}

/// `log(1 + e^z)` = `max(z, 0) + log1p(e^-|z|)`, which never overflows.
fn softplus(z: &Tensor) -> Result<Tensor> {
    let positive_part = z.gt(0.0)?.where_cond(z, &z.constant(0.0)?)?;
    positive_part + log1p(&z.abs()?.neg()?.exp()?)?
}

/// Whether each element is ±inf.
fn is_infinite(x: &Tensor) -> Result<Tensor> {
    x.abs()?.eq(f64::INFINITY)
}

/// `x > 0 ? 1 : 0`: the derivative at the far ends of the functions that become `x` on the
/// right and flat on the left.
fn step(x: &Tensor) -> Result<Tensor> {
    x.gt(0.0)?.where_cond(&x.constant(1.0)?, &x.constant(0.0)?)
}

/// `value`, but -0 at x = -inf, where `x·(something → 0)` would be NaN.
fn left_limit_zero(x: &Tensor, value: &Tensor) -> Result<Tensor> {
    x.eq(f64::NEG_INFINITY)?
        .where_cond(&x.constant(-0.0)?, value)
}

/// `derivative`, but 1 at +inf and 0 at -inf, where its formula would be `inf·0`.
fn flat_tails(x: &Tensor, derivative: &Tensor) -> Result<Tensor> {
    is_infinite(x)?.where_cond(&step(x)?, derivative)
}

/// `x < min ? min : x > max ? max : x`, NaN kept.
fn clamp(x: &Tensor, min: f64, max: f64) -> Result<Tensor> {
    let upper = x.gt(max)?.where_cond(&x.constant(max)?, x)?;
    x.lt(min)?.where_cond(&x.constant(min)?, &upper)
}

/// `min < x < max ? v : 0` (0 at both ends and at NaN).
fn inside(x: &Tensor, min: f64, max: f64, v: f64) -> Result<Tensor> {
    let zero = x.constant(0.0)?;
    let below_max = x.lt(max)?.where_cond(&x.constant(v)?, &zero)?;
    x.gt(min)?.where_cond(&below_max, &zero)
}

/// `-λ <= x <= λ ? 0 : outside` (NaN takes `outside`).
fn dead_zone(x: &Tensor, lambda: f64, outside: &Tensor) -> Result<Tensor> {
    let above = x.le(lambda)?.where_cond(&x.constant(0.0)?, outside)?;
    x.ge(-lambda)?.where_cond(&above, outside)
}

/// `x < -λ || x > λ ? 1 : 0` (0 at both kinks and at NaN).
fn outside_zone(x: &Tensor, lambda: f64) -> Result<Tensor> {
    let one = x.constant(1.0)?;
    let above = x.gt(lambda)?.where_cond(&one, &x.constant(0.0)?)?;
    x.lt(-lambda)?.where_cond(&one, &above)
}
