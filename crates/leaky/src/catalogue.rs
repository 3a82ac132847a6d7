//! The catalogue: every activation declared once, in the table below, from which `catalogue!`
//! (in `activation.rs`) makes the [`Activation`] and [`Kind`] enums, the entries of
//! [`Kind::info`] (`leaky list`, the spec parser, `Display`), the parameters' defaults and checks,
//! the scalar forward and derivative, and the lookups of the slice operations.
//!
//! An entry, in order (fields in brackets are optional):
//!
//! - the doc comment and the variant, with its parameters: `field: type = default, [aka
//!   [aliases],] "what it does and which values are allowed"`;
//! - `name` (the canonical spec name, PyTorch's functional name), `torch` (PyTorch's module),
//!   `formula` and `derivative` (plain text for `leaky list`), `piecewise_linear`;
//! - [`invalid`]: the checks beyond finiteness, `condition => parameter: "reason"`;
//! - `forward` and `derivative`: the scalar definitions (see [`scalar`]), as closures of `x` in
//!   which the parameters are `f64` values and `T` is the element type;
//! - [`backward`]: `(x, g) -> grad_in` where it is not the default, a select (`f'(x) == 0 ? 0 :
//!   g·f'(x)`) for a piecewise-linear function and `g·f'(x)` for a smooth one;
//! - [`from_output`]: the backward from the output `(y, g) -> grad_in`, for a function whose
//!   derivative can be told from its value, with the parameters it refuses (`except`);
//! - [`kernel`]: the kernels in every element type ([`Map`], [`Zip`]);
//! - [`vector_math`]: the `f32` vector-math kernel, handed to `run.with(...)` (`None` where the
//!   parameters are outside the kernel's range: the scalar definitions run then).
//!
//! An activation without kernels runs its scalar definitions in every tier, on threads.

use crate::activation::catalogue;
use crate::kernels::{ExactMap, ExactZip, Map, Zip};
use crate::math::elu::EluParams;
use crate::math::gelu::Gelu;
use crate::math::gelu_tanh::GeluTanh;
use crate::math::quick_gelu::QuickGelu;
use crate::math::relu_squared::ReluSquared;
use crate::math::silu::Silu;
use crate::math::softplus::{LogSigmoid, Mish, Softplus, SoftplusParams};
use crate::math::softsign::Softsign;
use crate::math::tanhshrink::Tanhshrink;
use crate::{Float, GeluApproximation, scalar};

/// The backward from the output of a clamp to `[low, high]`: `low < y < high ? g·inside : 0`
/// (the output is strictly inside the clamp exactly where the input is).
fn clamp_from_output<T: Float>(y: T, g: T, low: f64, high: f64, inside: f64) -> T {
    if y <= T::from_f64(low) || y >= T::from_f64(high) {
        T::ZERO
    } else {
        g * T::from_f64(inside)
    }
}

const NEGATIVE_SLOPE_REFUSED: &str = "backward from the output needs a slope >= 0 (with a negative slope the sign of the output no longer tells the sign of the input); use the backward from the input";

catalogue! {
    /// LeakyReLU, `x > 0 ? x : α·x`, with any finite α (default 0.01).
    LeakyRelu {
        /// The slope for x ≤ 0 (PyTorch's `negative_slope`).
        alpha: f64 = 0.01, aka ["negative_slope"], "slope for x <= 0; any finite value",
    } => {
        name: "leaky_relu",
        torch: "LeakyReLU",
        formula: "x > 0 ? x : alpha*x",
        derivative: "x > 0 ? 1 : alpha (f'(0) = alpha)",
        piecewise_linear: true,
        forward: |x| scalar::leaky_relu(x, T::from_f64(alpha)),
        derivative: |x| scalar::leaky_relu_derivative(x, T::from_f64(alpha)),
        backward: |x, g| scalar::leaky_relu_backward(x, g, T::from_f64(alpha)),
        from_output: except alpha < 0.0 => NEGATIVE_SLOPE_REFUSED,
            |y, g| scalar::leaky_relu_backward(y, g, T::from_f64(alpha)),
        kernel: {
            forward: Map::Exact(ExactMap::LeakyRelu(T::from_f64(alpha))),
            backward: Zip::Exact(ExactZip::LeakyReluBackward(T::from_f64(alpha))),
            from_output: Zip::Exact(ExactZip::LeakyReluBackward(T::from_f64(alpha))),
        },
    },
    /// ReLU, `x > 0 ? x : 0`.
    Relu => {
        name: "relu",
        torch: "ReLU",
        formula: "x > 0 ? x : 0",
        derivative: "x > 0 ? 1 : 0 (f'(0) = 0)",
        piecewise_linear: true,
        forward: |x| scalar::relu(x),
        derivative: |x| scalar::relu_derivative(x),
        backward: |x, g| scalar::relu_backward(x, g),
        from_output: |y, g| scalar::relu_backward(y, g),
        kernel: {
            forward: Map::Exact(ExactMap::Relu),
            backward: Zip::Exact(ExactZip::ReluBackward),
            from_output: Zip::Exact(ExactZip::ReluBackward),
        },
    },
    /// The logistic sigmoid, `1 / (1 + e^-x)`.
    Sigmoid => {
        name: "sigmoid",
        torch: "Sigmoid",
        formula: "1 / (1 + exp(-x))",
        derivative: "sigmoid(x) * (1 - sigmoid(x))",
        piecewise_linear: false,
        forward: |x| scalar::sigmoid(x),
        derivative: |x| scalar::sigmoid_derivative(x),
        from_output: |y, g| g * (y * (T::ONE - y)),
        kernel: {
            forward: Map::Sigmoid,
            backward: Zip::SigmoidBackward,
            from_output: Zip::Exact(ExactZip::SigmoidFromOutput),
        },
    },
    /// The hyperbolic tangent.
    Tanh => {
        name: "tanh",
        torch: "Tanh",
        formula: "(exp(x) - exp(-x)) / (exp(x) + exp(-x))",
        derivative: "1 - tanh(x)^2",
        piecewise_linear: false,
        forward: |x| scalar::tanh(x),
        derivative: |x| scalar::tanh_derivative(x),
        from_output: |y, g| g * (T::ONE - y * y),
        kernel: {
            forward: Map::Tanh,
            backward: Zip::TanhBackward,
            from_output: Zip::Exact(ExactZip::TanhFromOutput),
        },
    },
    /// PReLU with one shared slope: `x > 0 ? x : w·x` (the slope is learnable; see [`crate::prelu`]
    /// for one slope per channel and its gradient).
    Prelu {
        /// The slope for x ≤ 0 (PyTorch initialises it to 0.25).
        weight: f64 = 0.25, "learnable slope for x <= 0 (initial value); any finite value",
    } => {
        name: "prelu",
        torch: "PReLU",
        formula: "x > 0 ? x : weight*x",
        derivative: "x > 0 ? 1 : weight (f'(0) = weight); d/dweight = x > 0 ? 0 : x",
        piecewise_linear: true,
        forward: |x| scalar::leaky_relu(x, T::from_f64(weight)),
        derivative: |x| scalar::leaky_relu_derivative(x, T::from_f64(weight)),
        backward: |x, g| scalar::leaky_relu_backward(x, g, T::from_f64(weight)),
        from_output: except weight < 0.0 => NEGATIVE_SLOPE_REFUSED,
            |y, g| scalar::leaky_relu_backward(y, g, T::from_f64(weight)),
        kernel: {
            forward: Map::Exact(ExactMap::LeakyRelu(T::from_f64(weight))),
            backward: Zip::Exact(ExactZip::LeakyReluBackward(T::from_f64(weight))),
            from_output: Zip::Exact(ExactZip::LeakyReluBackward(T::from_f64(weight))),
        },
    },
    /// RReLU in evaluation mode: LeakyReLU with slope `(lower + upper) / 2`. Training mode, with
    /// a random slope per element, is [`crate::rrelu`].
    Rrelu {
        /// The smallest random slope, ≤ `upper`.
        lower: f64 = 1.0 / 8.0, "smallest random slope; <= upper",
        /// The largest random slope.
        upper: f64 = 1.0 / 3.0, "largest random slope",
    } => {
        name: "rrelu",
        torch: "RReLU",
        formula: "x > 0 ? x : a*x, a ~ U(lower, upper) in training, (lower + upper)/2 in evaluation",
        derivative: "x > 0 ? 1 : a (f'(0) = a)",
        piecewise_linear: true,
        invalid: [lower > upper => lower: "lower must be <= upper"],
        forward: |x| scalar::leaky_relu(x, T::from_f64((lower + upper) / 2.0)),
        derivative: |x| scalar::leaky_relu_derivative(x, T::from_f64((lower + upper) / 2.0)),
        from_output: |y, g| scalar::leaky_relu_backward(y, g, T::from_f64((lower + upper) / 2.0)),
        kernel: {
            forward: Map::Exact(ExactMap::LeakyRelu(T::from_f64((lower + upper) / 2.0))),
            backward: Zip::Exact(ExactZip::LeakyReluBackward(T::from_f64((lower + upper) / 2.0))),
            from_output: Zip::Exact(ExactZip::LeakyReluBackward(T::from_f64((lower + upper) / 2.0))),
        },
    },
    /// ELU, `x > 0 ? x : α·(e^x - 1)`.
    Elu {
        /// The value approached as x → -inf is -α.
        alpha: f64 = 1.0, "-alpha is the limit as x -> -inf; any finite value",
    } => {
        name: "elu",
        torch: "ELU",
        formula: "x > 0 ? x : alpha*(exp(x) - 1)",
        derivative: "x > 0 ? 1 : alpha*exp(x) (f'(0) = alpha)",
        piecewise_linear: false,
        forward: |x| scalar::elu(x, alpha),
        derivative: |x| scalar::elu_derivative(x, alpha),
        // f'(x) = α·e^x = y + α where y <= 0 (PyTorch's rule).
        from_output: except alpha < 0.0 => "backward from the output needs alpha >= 0; use the backward from the input",
            |y, g| if y <= T::ZERO { g * (y + T::from_f64(alpha)) } else { g },
        vector_math: |run| EluParams::elu(alpha).map(|p| run.with(p)),
    },
    /// SELU, `scale · elu(x, α)` with fixed α ≈ 1.6733 and scale ≈ 1.0507.
    Selu => {
        name: "selu",
        torch: "SELU",
        formula: "scale * (x > 0 ? x : alpha*(exp(x) - 1)), alpha = 1.6732632423543772, scale = 1.0507009873554805",
        derivative: "scale * (x > 0 ? 1 : alpha*exp(x)) (f'(0) = scale*alpha)",
        piecewise_linear: false,
        forward: |x| scalar::selu(x),
        derivative: |x| scalar::selu_derivative(x),
        from_output: |y, g| if y <= T::ZERO {
            g * (y + T::from_f64(scalar::SELU_SCALE * scalar::SELU_ALPHA))
        } else {
            g * T::from_f64(scalar::SELU_SCALE)
        },
        vector_math: |run| Some(run.with(EluParams::selu(scalar::SELU_SCALE, scalar::SELU_ALPHA))),
    },
    /// CELU, `x > 0 ? x : α·(e^(x/α) - 1)`, α ≠ 0.
    Celu {
        /// The scale of the negative part, ≠ 0.
        alpha: f64 = 1.0, "scale of the negative part; finite and not 0",
    } => {
        name: "celu",
        torch: "CELU",
        formula: "x > 0 ? x : alpha*(exp(x/alpha) - 1)",
        derivative: "x > 0 ? 1 : exp(x/alpha) (f'(0) = 1)",
        piecewise_linear: false,
        invalid: [alpha == 0.0 => alpha: "CELU divides by alpha, so it must not be 0"],
        forward: |x| scalar::celu(x, alpha),
        derivative: |x| scalar::celu_derivative(x, alpha),
        // f'(x) = e^(x/α) = y/α + 1 where y <= 0; the sign of y is the sign of x for any α.
        from_output: |y, g| if y <= T::ZERO { g * (y / T::from_f64(alpha) + T::ONE) } else { g },
        vector_math: |run| EluParams::celu(alpha).map(|p| run.with(p)),
    },
    /// GELU, `x·Φ(x)`, exact or with PyTorch's tanh approximation.
    Gelu {
        /// Which formula.
        approximate: GeluApproximation = 0.0, "none (exact, erf) or tanh",
    } => {
        name: "gelu",
        torch: "GELU",
        formula: "x * Phi(x), Phi the standard normal CDF; tanh: x/2 * (1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))",
        derivative: "Phi(x) + x*phi(x) (f'(0) = 1/2)",
        piecewise_linear: false,
        forward: |x| match approximate {
            GeluApproximation::None => scalar::gelu(x),
            GeluApproximation::Tanh => scalar::gelu_tanh(x),
        },
        derivative: |x| match approximate {
            GeluApproximation::None => scalar::gelu_derivative(x),
            GeluApproximation::Tanh => scalar::gelu_tanh_derivative(x),
        },
        vector_math: |run| Some(match approximate {
            GeluApproximation::None => run.with(Gelu),
            GeluApproximation::Tanh => run.with(GeluTanh),
        }),
    },
    /// SiLU (swish), `x·σ(x)`.
    Silu => {
        name: "silu",
        torch: "SiLU",
        formula: "x * sigmoid(x)",
        derivative: "sigmoid(x) * (1 + x*(1 - sigmoid(x))) (f'(0) = 1/2)",
        piecewise_linear: false,
        forward: |x| scalar::silu(x),
        derivative: |x| scalar::silu_derivative(x),
        vector_math: |run| Some(run.with(Silu)),
    },
    /// Mish, `x·tanh(softplus(x))`.
    Mish => {
        name: "mish",
        torch: "Mish",
        formula: "x * tanh(softplus(x))",
        derivative: "tanh(sp) + x*sigmoid(x)*(1 - tanh(sp)^2), sp = softplus(x) (f'(0) = 0.6)",
        piecewise_linear: false,
        forward: |x| scalar::mish(x),
        derivative: |x| scalar::mish_derivative(x),
        vector_math: |run| Some(run.with(Mish)),
    },
    /// Softplus, `log(1 + e^(βx)) / β`, linear where `βx > threshold`.
    Softplus {
        /// The sharpness, > 0.
        beta: f64 = 1.0, "sharpness; > 0",
        /// Above this value of βx the function is taken as x.
        threshold: f64 = 20.0, "linear above beta*x > threshold",
    } => {
        name: "softplus",
        torch: "Softplus",
        formula: "beta*x > threshold ? x : log(1 + exp(beta*x)) / beta",
        derivative: "beta*x > threshold ? 1 : sigmoid(beta*x)",
        piecewise_linear: false,
        invalid: [beta <= 0.0 => beta: "beta must be > 0"],
        forward: |x| scalar::softplus(x, beta, threshold),
        derivative: |x| scalar::softplus_derivative(x, beta, threshold),
        vector_math: |run| if beta == 1.0 {
            Some(run.with(Softplus::new(threshold)))
        } else {
            SoftplusParams::new(beta, threshold).map(|p| run.with(p))
        },
    },
    /// Softsign, `x / (1 + |x|)`.
    Softsign => {
        name: "softsign",
        torch: "Softsign",
        formula: "x / (1 + |x|)",
        derivative: "1 / (1 + |x|)^2",
        piecewise_linear: false,
        forward: |x| scalar::softsign(x),
        derivative: |x| scalar::softsign_derivative(x),
        // f'(x) = (1 - |y|)².
        from_output: |y, g| {
            let d = T::ONE - if y < T::ZERO { -y } else { y };
            g * (d * d)
        },
        vector_math: |run| Some(run.with(Softsign)),
    },
    /// Hardtanh, x clamped to `[min, max]`.
    Hardtanh {
        /// The lower clamp, ≤ `max`.
        min: f64 = -1.0, aka ["min_val"], "lower clamp; <= max",
        /// The upper clamp.
        max: f64 = 1.0, aka ["max_val"], "upper clamp",
    } => {
        name: "hardtanh",
        torch: "Hardtanh",
        formula: "min(max(x, min), max)",
        derivative: "min < x < max ? 1 : 0 (0 at both kinks)",
        piecewise_linear: true,
        invalid: [min > max => min: "min must be <= max"],
        forward: |x| scalar::hardtanh(x, T::from_f64(min), T::from_f64(max)),
        derivative: |x| scalar::hardtanh_derivative(x, T::from_f64(min), T::from_f64(max)),
        from_output: |y, g| clamp_from_output(y, g, min, max, 1.0),
    },
    /// ReLU6, x clamped to `[0, 6]`.
    Relu6 => {
        name: "relu6",
        torch: "ReLU6",
        formula: "min(max(x, 0), 6)",
        derivative: "0 < x < 6 ? 1 : 0 (0 at both kinks)",
        piecewise_linear: true,
        forward: |x| scalar::hardtanh(x, T::ZERO, T::from_f64(6.0)),
        derivative: |x| scalar::hardtanh_derivative(x, T::ZERO, T::from_f64(6.0)),
        from_output: |y, g| clamp_from_output(y, g, 0.0, 6.0, 1.0),
    },
    /// Hardsigmoid, `clamp(x + 3, 0, 6) / 6`.
    Hardsigmoid => {
        name: "hardsigmoid",
        torch: "Hardsigmoid",
        formula: "min(max(x + 3, 0), 6) / 6",
        derivative: "-3 < x < 3 ? 1/6 : 0 (0 at both kinks)",
        piecewise_linear: true,
        forward: |x| scalar::hardsigmoid(x),
        derivative: |x| scalar::hardsigmoid_derivative(x),
        from_output: |y, g| clamp_from_output(y, g, 0.0, 1.0, 1.0 / 6.0),
    },
    /// Hardswish, `x · clamp(x + 3, 0, 6) / 6`.
    Hardswish => {
        name: "hardswish",
        torch: "Hardswish",
        formula: "x * min(max(x + 3, 0), 6) / 6",
        derivative: "x <= -3 ? 0 : x >= 3 ? 1 : x/3 + 1/2 (f'(-3) = 0, f'(3) = 1)",
        piecewise_linear: true,
        forward: |x| scalar::hardswish(x),
        derivative: |x| scalar::hardswish_derivative(x),
    },
    /// LogSigmoid, `log σ(x)`.
    LogSigmoid => {
        name: "logsigmoid",
        torch: "LogSigmoid",
        formula: "log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))",
        derivative: "1 - sigmoid(x)",
        piecewise_linear: false,
        forward: |x| scalar::log_sigmoid(x),
        derivative: |x| scalar::log_sigmoid_derivative(x),
        vector_math: |run| Some(run.with(LogSigmoid)),
    },
    /// Tanhshrink, `x - tanh(x)`.
    Tanhshrink => {
        name: "tanhshrink",
        torch: "Tanhshrink",
        formula: "x - tanh(x)",
        derivative: "tanh(x)^2",
        piecewise_linear: false,
        forward: |x| scalar::tanhshrink(x),
        derivative: |x| scalar::tanhshrink_derivative(x),
        vector_math: |run| Some(run.with(Tanhshrink)),
    },
    /// Softshrink, `x - λ·sign(x)` outside `[-λ, λ]`, 0 inside; λ ≥ 0.
    Softshrink {
        /// The half-width of the dead zone, ≥ 0.
        lambda: f64 = 0.5, aka ["lambd"], "half-width of the dead zone; >= 0",
    } => {
        name: "softshrink",
        torch: "Softshrink",
        formula: "x > lambda ? x - lambda : x < -lambda ? x + lambda : 0",
        derivative: "|x| <= lambda ? 0 : 1 (0 at both kinks)",
        piecewise_linear: true,
        invalid: [lambda < 0.0 => lambda: "lambda must be >= 0"],
        forward: |x| scalar::softshrink(x, T::from_f64(lambda)),
        derivative: |x| scalar::shrink_derivative(x, T::from_f64(lambda)),
    },
    /// Hardshrink, `x` outside `[-λ, λ]`, 0 inside.
    Hardshrink {
        /// The half-width of the dead zone.
        lambda: f64 = 0.5, aka ["lambd"], "half-width of the dead zone; any finite value",
    } => {
        name: "hardshrink",
        torch: "Hardshrink",
        formula: "|x| <= lambda ? 0 : x",
        derivative: "|x| <= lambda ? 0 : 1 (0 at both kinks)",
        piecewise_linear: true,
        forward: |x| scalar::hardshrink(x, T::from_f64(lambda)),
        derivative: |x| scalar::shrink_derivative(x, T::from_f64(lambda)),
    },
    /// Threshold, `x <= threshold ? value : x`.
    Threshold {
        /// At or below this, the output is `value`.
        threshold: f64 = 0.0, "at or below it the output is value",
        /// The replacement value.
        value: f64 = 0.0, "the replacement value",
    } => {
        name: "threshold",
        torch: "Threshold",
        formula: "x <= threshold ? value : x",
        derivative: "x <= threshold ? 0 : 1 (0 at the kink)",
        piecewise_linear: true,
        forward: |x| scalar::threshold(x, T::from_f64(threshold), T::from_f64(value)),
        derivative: |x| scalar::threshold_derivative(x, T::from_f64(threshold)),
    },
    /// QuickGELU (CLIP's), `x·σ(1.702·x)`: GELU approximated by a scaled SiLU.
    QuickGelu => {
        name: "quick_gelu",
        torch: "QuickGELU",
        formula: "x * sigmoid(1.702*x)",
        derivative: "s + 1.702*x*s*(1 - s), s = sigmoid(1.702*x) (f'(0) = 1/2)",
        piecewise_linear: false,
        forward: |x| scalar::quick_gelu(x),
        derivative: |x| scalar::quick_gelu_derivative(x),
        vector_math: |run| Some(run.with(QuickGelu)),
    },
    /// ReLU² (Primer's squared ReLU), `x > 0 ? x² : 0`.
    ReluSquared => {
        name: "relu_squared",
        torch: "ReLUSquared",
        formula: "x > 0 ? x^2 : 0",
        derivative: "x > 0 ? 2x : 0 (f'(0) = 0)",
        piecewise_linear: false,
        forward: |x| scalar::relu_squared(x),
        derivative: |x| scalar::relu_squared_derivative(x),
        // PyTorch's backward of relu(x)**2 ends in ReLU's select: 0 wherever x <= 0.
        backward: |x, g| if x <= T::ZERO { T::ZERO } else { g * scalar::relu_squared_derivative(x) },
        vector_math: |run| Some(run.with(ReluSquared)),
    },
}
