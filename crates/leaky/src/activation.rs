//! [`Activation`]: the set of activation functions and their parameters, and the spec strings
//! people write for them (`leaky_relu`, `leaky_relu:alpha=0.2`, `LeakyReLU`).

use std::fmt;
use std::str::FromStr;

use crate::{Error, Float, scalar};

/// An activation function with its parameters, validated.
///
/// Build one from a spec string (`"leaky_relu:alpha=0.2".parse()`), or with a constructor such as
/// [`Activation::leaky_relu`], which checks the parameters. `Display` writes a spec that parses
/// back to the same activation.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Activation {
    /// LeakyReLU, `x > 0 ? x : α·x`, with any finite α (default 0.01).
    LeakyRelu {
        /// The slope for x ≤ 0 (PyTorch's `negative_slope`).
        alpha: f64,
    },
    /// ReLU, `x > 0 ? x : 0`.
    Relu,
    /// The logistic sigmoid, `1 / (1 + e^-x)`.
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
    /// PReLU with one shared slope: `x > 0 ? x : w·x` (the slope is learnable; see [`crate::prelu`]
    /// for one slope per channel and its gradient).
    Prelu {
        /// The slope for x ≤ 0 (PyTorch initialises it to 0.25).
        weight: f64,
    },
    /// RReLU in evaluation mode: LeakyReLU with slope `(lower + upper) / 2`. Training mode, with
    /// a random slope per element, is [`crate::rrelu`].
    Rrelu {
        /// The smallest random slope, ≤ `upper`.
        lower: f64,
        /// The largest random slope.
        upper: f64,
    },
    /// ELU, `x > 0 ? x : α·(e^x - 1)`.
    Elu {
        /// The value approached as x → -inf is -α.
        alpha: f64,
    },
    /// SELU, `scale · elu(x, α)` with fixed α ≈ 1.6733 and scale ≈ 1.0507.
    Selu,
    /// CELU, `x > 0 ? x : α·(e^(x/α) - 1)`, α ≠ 0.
    Celu {
        /// The scale of the negative part, ≠ 0.
        alpha: f64,
    },
    /// GELU, `x·Φ(x)`, exact or with PyTorch's tanh approximation.
    Gelu {
        /// Which formula.
        approximate: GeluApproximation,
    },
    /// SiLU (swish), `x·σ(x)`.
    Silu,
    /// Mish, `x·tanh(softplus(x))`.
    Mish,
    /// Softplus, `log(1 + e^(βx)) / β`, linear where `βx > threshold`.
    Softplus {
        /// The sharpness, > 0.
        beta: f64,
        /// Above this value of βx the function is taken as x.
        threshold: f64,
    },
    /// Softsign, `x / (1 + |x|)`.
    Softsign,
    /// Hardtanh, x clamped to `[min, max]`.
    Hardtanh {
        /// The lower clamp, ≤ `max`.
        min: f64,
        /// The upper clamp.
        max: f64,
    },
    /// ReLU6, x clamped to `[0, 6]`.
    Relu6,
    /// Hardsigmoid, `clamp(x + 3, 0, 6) / 6`.
    Hardsigmoid,
    /// Hardswish, `x · clamp(x + 3, 0, 6) / 6`.
    Hardswish,
    /// LogSigmoid, `log σ(x)`.
    LogSigmoid,
    /// Tanhshrink, `x - tanh(x)`.
    Tanhshrink,
    /// Softshrink, `x - λ·sign(x)` outside `[-λ, λ]`, 0 inside; λ ≥ 0.
    Softshrink {
        /// The half-width of the dead zone, ≥ 0.
        lambda: f64,
    },
    /// Hardshrink, `x` outside `[-λ, λ]`, 0 inside.
    Hardshrink {
        /// The half-width of the dead zone.
        lambda: f64,
    },
    /// Threshold, `x <= threshold ? value : x`.
    Threshold {
        /// At or below this, the output is `value`.
        threshold: f64,
        /// The replacement value.
        value: f64,
    },
}

/// Which formula [`Activation::Gelu`] uses (PyTorch's `approximate` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeluApproximation {
    /// The exact `x·Φ(x)`, PyTorch's default (`approximate='none'`).
    None,
    /// `x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`approximate='tanh'`, JAX's default).
    Tanh,
}

/// Which activation, without its parameters: the key of the [catalogue](Kind::ALL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// LeakyRelu.
    LeakyRelu,
    /// Relu.
    Relu,
    /// Sigmoid.
    Sigmoid,
    /// Tanh.
    Tanh,
    /// Prelu.
    Prelu,
    /// Rrelu.
    Rrelu,
    /// Elu.
    Elu,
    /// Selu.
    Selu,
    /// Celu.
    Celu,
    /// Gelu.
    Gelu,
    /// Silu.
    Silu,
    /// Mish.
    Mish,
    /// Softplus.
    Softplus,
    /// Softsign.
    Softsign,
    /// Hardtanh.
    Hardtanh,
    /// Relu6.
    Relu6,
    /// Hardsigmoid.
    Hardsigmoid,
    /// Hardswish.
    Hardswish,
    /// LogSigmoid.
    LogSigmoid,
    /// Tanhshrink.
    Tanhshrink,
    /// Softshrink.
    Softshrink,
    /// Hardshrink.
    Hardshrink,
    /// Threshold.
    Threshold,
}

/// What the catalogue says about an activation: its names, parameters and formulas.
#[derive(Debug)]
pub struct KindInfo {
    /// The canonical spec name, as in PyTorch's functional API (`leaky_relu`).
    pub name: &'static str,
    /// PyTorch's module class name (`LeakyReLU`), also accepted in specs.
    pub torch_name: &'static str,
    /// The parameters, in positional order.
    pub params: &'static [ParamInfo],
    /// The forward formula, in plain text.
    pub formula: &'static str,
    /// The derivative, with its value at the kinks.
    pub derivative: &'static str,
}

/// One parameter of an activation.
#[derive(Debug)]
pub struct ParamInfo {
    /// The canonical name (`alpha`).
    pub name: &'static str,
    /// Other accepted names (`negative_slope`, PyTorch's).
    pub aliases: &'static [&'static str],
    /// The value when the spec does not give one.
    pub default: f64,
    /// What it does and which values are allowed.
    pub doc: &'static str,
    /// For a parameter that takes one of a few words (GELU's `approximate`), the words; the
    /// value is the word's index. Empty for numeric parameters.
    pub choices: &'static [&'static str],
}

const ALPHA: ParamInfo = ParamInfo {
    name: "alpha",
    aliases: &["negative_slope"],
    default: 0.01,
    doc: "slope for x <= 0; any finite value",
    choices: &[],
};

/// A numeric parameter with no other names.
const fn number(name: &'static str, default: f64, doc: &'static str) -> ParamInfo {
    ParamInfo {
        name,
        aliases: &[],
        default,
        doc,
        choices: &[],
    }
}

/// The λ of Softshrink and Hardshrink (PyTorch's `lambd`).
const fn lambda(doc: &'static str) -> ParamInfo {
    ParamInfo {
        name: "lambda",
        aliases: &["lambd"],
        default: 0.5,
        doc,
        choices: &[],
    }
}

impl Kind {
    /// Every activation, in the order `leaky list` shows them.
    pub const ALL: &'static [Kind] = &[
        Kind::LeakyRelu,
        Kind::Relu,
        Kind::Sigmoid,
        Kind::Tanh,
        Kind::Prelu,
        Kind::Rrelu,
        Kind::Elu,
        Kind::Selu,
        Kind::Celu,
        Kind::Gelu,
        Kind::Silu,
        Kind::Mish,
        Kind::Softplus,
        Kind::Softsign,
        Kind::Hardtanh,
        Kind::Relu6,
        Kind::Hardsigmoid,
        Kind::Hardswish,
        Kind::LogSigmoid,
        Kind::Tanhshrink,
        Kind::Softshrink,
        Kind::Hardshrink,
        Kind::Threshold,
    ];

    /// The catalogue entry: names, parameters, formulas.
    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::LeakyRelu => {
                const {
                    &KindInfo {
                        name: "leaky_relu",
                        torch_name: "LeakyReLU",
                        params: &[ALPHA],
                        formula: "x > 0 ? x : alpha*x",
                        derivative: "x > 0 ? 1 : alpha (f'(0) = alpha)",
                    }
                }
            }
            Kind::Relu => {
                const {
                    &KindInfo {
                        name: "relu",
                        torch_name: "ReLU",
                        params: &[],
                        formula: "x > 0 ? x : 0",
                        derivative: "x > 0 ? 1 : 0 (f'(0) = 0)",
                    }
                }
            }
            Kind::Sigmoid => {
                const {
                    &KindInfo {
                        name: "sigmoid",
                        torch_name: "Sigmoid",
                        params: &[],
                        formula: "1 / (1 + exp(-x))",
                        derivative: "sigmoid(x) * (1 - sigmoid(x))",
                    }
                }
            }
            Kind::Tanh => {
                const {
                    &KindInfo {
                        name: "tanh",
                        torch_name: "Tanh",
                        params: &[],
                        formula: "(exp(x) - exp(-x)) / (exp(x) + exp(-x))",
                        derivative: "1 - tanh(x)^2",
                    }
                }
            }
            Kind::Prelu => {
                const {
                    &KindInfo {
                        name: "prelu",
                        torch_name: "PReLU",
                        params: &[number(
                            "weight",
                            0.25,
                            "learnable slope for x <= 0 (initial value); any finite value",
                        )],
                        formula: "x > 0 ? x : weight*x",
                        derivative: "x > 0 ? 1 : weight (f'(0) = weight); d/dweight = x > 0 ? 0 : x",
                    }
                }
            }
            Kind::Rrelu => {
                const {
                    &KindInfo {
                        name: "rrelu",
                        torch_name: "RReLU",
                        params: &[
                            number("lower", 1.0 / 8.0, "smallest random slope; <= upper"),
                            number("upper", 1.0 / 3.0, "largest random slope"),
                        ],
                        formula: "x > 0 ? x : a*x, a ~ U(lower, upper) in training, (lower + upper)/2 in evaluation",
                        derivative: "x > 0 ? 1 : a (f'(0) = a)",
                    }
                }
            }
            Kind::Elu => {
                const {
                    &KindInfo {
                        name: "elu",
                        torch_name: "ELU",
                        params: &[number(
                            "alpha",
                            1.0,
                            "-alpha is the limit as x -> -inf; any finite value",
                        )],
                        formula: "x > 0 ? x : alpha*(exp(x) - 1)",
                        derivative: "x > 0 ? 1 : alpha*exp(x) (f'(0) = alpha)",
                    }
                }
            }
            Kind::Selu => {
                const {
                    &KindInfo {
                        name: "selu",
                        torch_name: "SELU",
                        params: &[],
                        formula: "scale * (x > 0 ? x : alpha*(exp(x) - 1)), alpha = 1.6732632423543772, scale = 1.0507009873554805",
                        derivative: "scale * (x > 0 ? 1 : alpha*exp(x)) (f'(0) = scale*alpha)",
                    }
                }
            }
            Kind::Celu => {
                const {
                    &KindInfo {
                        name: "celu",
                        torch_name: "CELU",
                        params: &[number(
                            "alpha",
                            1.0,
                            "scale of the negative part; finite and not 0",
                        )],
                        formula: "x > 0 ? x : alpha*(exp(x/alpha) - 1)",
                        derivative: "x > 0 ? 1 : exp(x/alpha) (f'(0) = 1)",
                    }
                }
            }
            Kind::Gelu => {
                const {
                    &KindInfo {
                        name: "gelu",
                        torch_name: "GELU",
                        params: &[ParamInfo {
                            name: "approximate",
                            aliases: &[],
                            default: 0.0,
                            doc: "none (exact, erf) or tanh",
                            choices: &["none", "tanh"],
                        }],
                        formula: "x * Phi(x), Phi the standard normal CDF; tanh: x/2 * (1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))",
                        derivative: "Phi(x) + x*phi(x) (f'(0) = 1/2)",
                    }
                }
            }
            Kind::Silu => {
                const {
                    &KindInfo {
                        name: "silu",
                        torch_name: "SiLU",
                        params: &[],
                        formula: "x * sigmoid(x)",
                        derivative: "sigmoid(x) * (1 + x*(1 - sigmoid(x))) (f'(0) = 1/2)",
                    }
                }
            }
            Kind::Mish => {
                const {
                    &KindInfo {
                        name: "mish",
                        torch_name: "Mish",
                        params: &[],
                        formula: "x * tanh(softplus(x))",
                        derivative: "tanh(sp) + x*sigmoid(x)*(1 - tanh(sp)^2), sp = softplus(x) (f'(0) = 0.6)",
                    }
                }
            }
            Kind::Softplus => {
                const {
                    &KindInfo {
                        name: "softplus",
                        torch_name: "Softplus",
                        params: &[
                            number("beta", 1.0, "sharpness; > 0"),
                            number("threshold", 20.0, "linear above beta*x > threshold"),
                        ],
                        formula: "beta*x > threshold ? x : log(1 + exp(beta*x)) / beta",
                        derivative: "beta*x > threshold ? 1 : sigmoid(beta*x)",
                    }
                }
            }
            Kind::Softsign => {
                const {
                    &KindInfo {
                        name: "softsign",
                        torch_name: "Softsign",
                        params: &[],
                        formula: "x / (1 + |x|)",
                        derivative: "1 / (1 + |x|)^2",
                    }
                }
            }
            Kind::Hardtanh => {
                const {
                    &KindInfo {
                        name: "hardtanh",
                        torch_name: "Hardtanh",
                        params: &[
                            ParamInfo {
                                name: "min",
                                aliases: &["min_val"],
                                default: -1.0,
                                doc: "lower clamp; <= max",
                                choices: &[],
                            },
                            ParamInfo {
                                name: "max",
                                aliases: &["max_val"],
                                default: 1.0,
                                doc: "upper clamp",
                                choices: &[],
                            },
                        ],
                        formula: "min(max(x, min), max)",
                        derivative: "min < x < max ? 1 : 0 (0 at both kinks)",
                    }
                }
            }
            Kind::Relu6 => {
                const {
                    &KindInfo {
                        name: "relu6",
                        torch_name: "ReLU6",
                        params: &[],
                        formula: "min(max(x, 0), 6)",
                        derivative: "0 < x < 6 ? 1 : 0 (0 at both kinks)",
                    }
                }
            }
            Kind::Hardsigmoid => {
                const {
                    &KindInfo {
                        name: "hardsigmoid",
                        torch_name: "Hardsigmoid",
                        params: &[],
                        formula: "min(max(x + 3, 0), 6) / 6",
                        derivative: "-3 < x < 3 ? 1/6 : 0 (0 at both kinks)",
                    }
                }
            }
            Kind::Hardswish => {
                const {
                    &KindInfo {
                        name: "hardswish",
                        torch_name: "Hardswish",
                        params: &[],
                        formula: "x * min(max(x + 3, 0), 6) / 6",
                        derivative: "x <= -3 ? 0 : x >= 3 ? 1 : x/3 + 1/2 (f'(-3) = 0, f'(3) = 1)",
                    }
                }
            }
            Kind::LogSigmoid => {
                const {
                    &KindInfo {
                        name: "logsigmoid",
                        torch_name: "LogSigmoid",
                        params: &[],
                        formula: "log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))",
                        derivative: "1 - sigmoid(x)",
                    }
                }
            }
            Kind::Tanhshrink => {
                const {
                    &KindInfo {
                        name: "tanhshrink",
                        torch_name: "Tanhshrink",
                        params: &[],
                        formula: "x - tanh(x)",
                        derivative: "tanh(x)^2",
                    }
                }
            }
            Kind::Softshrink => {
                const {
                    &KindInfo {
                        name: "softshrink",
                        torch_name: "Softshrink",
                        params: &[lambda("half-width of the dead zone; >= 0")],
                        formula: "x > lambda ? x - lambda : x < -lambda ? x + lambda : 0",
                        derivative: "|x| <= lambda ? 0 : 1 (0 at both kinks)",
                    }
                }
            }
            Kind::Hardshrink => {
                const {
                    &KindInfo {
                        name: "hardshrink",
                        torch_name: "Hardshrink",
                        params: &[lambda("half-width of the dead zone; any finite value")],
                        formula: "|x| <= lambda ? 0 : x",
                        derivative: "|x| <= lambda ? 0 : 1 (0 at both kinks)",
                    }
                }
            }
            Kind::Threshold => {
                const {
                    &KindInfo {
                        name: "threshold",
                        torch_name: "Threshold",
                        params: &[
                            number("threshold", 0.0, "at or below it the output is value"),
                            number("value", 0.0, "the replacement value"),
                        ],
                        formula: "x <= threshold ? value : x",
                        derivative: "x <= threshold ? 0 : 1 (0 at the kink)",
                    }
                }
            }
        }
    }

    /// Whether the function is piecewise linear (its kernels then match PyTorch bit for bit and
    /// its backward is a select), rather than smooth (held to a ULP bound).
    pub fn is_piecewise_linear(self) -> bool {
        matches!(
            self,
            Kind::LeakyRelu
                | Kind::Relu
                | Kind::Prelu
                | Kind::Rrelu
                | Kind::Hardtanh
                | Kind::Relu6
                | Kind::Hardsigmoid
                | Kind::Hardswish
                | Kind::Softshrink
                | Kind::Hardshrink
                | Kind::Threshold
        )
    }

    /// Builds the activation from its parameter values, in the catalogue's order, checking them.
    pub fn with_params(self, values: &[f64]) -> Result<Activation, Error> {
        let info = self.info();
        if values.len() != info.params.len() {
            return Err(Error::MalformedSpec {
                spec: info.name.to_string(),
                reason: format!(
                    "{} takes {} parameter(s), got {}",
                    info.name,
                    info.params.len(),
                    values.len()
                ),
            });
        }
        for (param, &value) in info.params.iter().zip(values) {
            let valid_choice = param.choices.is_empty()
                || (value.fract() == 0.0 && value >= 0.0 && (value as usize) < param.choices.len());
            if !valid_choice {
                return Err(Error::InvalidParameter {
                    activation: info.name,
                    parameter: param.name,
                    value,
                    reason: "it is not one of the allowed words",
                });
            }
            if !value.is_finite() {
                return Err(Error::InvalidParameter {
                    activation: info.name,
                    parameter: param.name,
                    value,
                    reason: "it must be a finite number",
                });
            }
        }
        let invalid = |index: usize, reason: &'static str| Error::InvalidParameter {
            activation: info.name,
            parameter: info.params[index].name,
            value: values[index],
            reason,
        };
        let v = values;
        Ok(match self {
            Kind::LeakyRelu => Activation::LeakyRelu { alpha: v[0] },
            Kind::Relu => Activation::Relu,
            Kind::Sigmoid => Activation::Sigmoid,
            Kind::Tanh => Activation::Tanh,
            Kind::Prelu => Activation::Prelu { weight: v[0] },
            Kind::Rrelu if v[0] > v[1] => return Err(invalid(0, "lower must be <= upper")),
            Kind::Rrelu => Activation::Rrelu {
                lower: v[0],
                upper: v[1],
            },
            Kind::Elu => Activation::Elu { alpha: v[0] },
            Kind::Selu => Activation::Selu,
            Kind::Celu if v[0] == 0.0 => {
                return Err(invalid(0, "CELU divides by alpha, so it must not be 0"));
            }
            Kind::Celu => Activation::Celu { alpha: v[0] },
            Kind::Gelu => Activation::Gelu {
                approximate: if v[0] == 0.0 {
                    GeluApproximation::None
                } else {
                    GeluApproximation::Tanh
                },
            },
            Kind::Silu => Activation::Silu,
            Kind::Mish => Activation::Mish,
            Kind::Softplus if v[0] <= 0.0 => return Err(invalid(0, "beta must be > 0")),
            Kind::Softplus => Activation::Softplus {
                beta: v[0],
                threshold: v[1],
            },
            Kind::Softsign => Activation::Softsign,
            Kind::Hardtanh if v[0] > v[1] => return Err(invalid(0, "min must be <= max")),
            Kind::Hardtanh => Activation::Hardtanh {
                min: v[0],
                max: v[1],
            },
            Kind::Relu6 => Activation::Relu6,
            Kind::Hardsigmoid => Activation::Hardsigmoid,
            Kind::Hardswish => Activation::Hardswish,
            Kind::LogSigmoid => Activation::LogSigmoid,
            Kind::Tanhshrink => Activation::Tanhshrink,
            Kind::Softshrink if v[0] < 0.0 => return Err(invalid(0, "lambda must be >= 0")),
            Kind::Softshrink => Activation::Softshrink { lambda: v[0] },
            Kind::Hardshrink => Activation::Hardshrink { lambda: v[0] },
            Kind::Threshold => Activation::Threshold {
                threshold: v[0],
                value: v[1],
            },
        })
    }

    /// The activation with every parameter at its default.
    pub fn default_activation(self) -> Activation {
        let defaults: Vec<f64> = self.info().params.iter().map(|p| p.default).collect();
        self.with_params(&defaults)
            .expect("catalogue defaults are valid")
    }

    /// Finds an activation by name: canonical (`leaky_relu`) or PyTorch's (`LeakyReLU`),
    /// ignoring case, `_` and `-`.
    pub fn from_name(name: &str) -> Result<Kind, Error> {
        let wanted = normalize(name);
        Kind::ALL
            .iter()
            .copied()
            .find(|k| {
                let info = k.info();
                normalize(info.name) == wanted || normalize(info.torch_name) == wanted
            })
            .ok_or_else(|| Error::UnknownActivation {
                name: name.to_string(),
                suggestion: closest_name(&wanted),
            })
    }
}

impl Activation {
    /// The article's activation: LeakyReLU with α = 0.01.
    pub const DEFAULT: Activation = Activation::LeakyRelu { alpha: 0.01 };

    /// LeakyReLU with slope `alpha` for x ≤ 0; `alpha` must be finite (negative and > 1 allowed).
    pub fn leaky_relu(alpha: f64) -> Result<Activation, Error> {
        Kind::LeakyRelu.with_params(&[alpha])
    }

    /// Which activation this is.
    pub fn kind(&self) -> Kind {
        match self {
            Activation::LeakyRelu { .. } => Kind::LeakyRelu,
            Activation::Relu => Kind::Relu,
            Activation::Sigmoid => Kind::Sigmoid,
            Activation::Tanh => Kind::Tanh,
            Activation::Prelu { .. } => Kind::Prelu,
            Activation::Rrelu { .. } => Kind::Rrelu,
            Activation::Elu { .. } => Kind::Elu,
            Activation::Selu => Kind::Selu,
            Activation::Celu { .. } => Kind::Celu,
            Activation::Gelu { .. } => Kind::Gelu,
            Activation::Silu => Kind::Silu,
            Activation::Mish => Kind::Mish,
            Activation::Softplus { .. } => Kind::Softplus,
            Activation::Softsign => Kind::Softsign,
            Activation::Hardtanh { .. } => Kind::Hardtanh,
            Activation::Relu6 => Kind::Relu6,
            Activation::Hardsigmoid => Kind::Hardsigmoid,
            Activation::Hardswish => Kind::Hardswish,
            Activation::LogSigmoid => Kind::LogSigmoid,
            Activation::Tanhshrink => Kind::Tanhshrink,
            Activation::Softshrink { .. } => Kind::Softshrink,
            Activation::Hardshrink { .. } => Kind::Hardshrink,
            Activation::Threshold { .. } => Kind::Threshold,
        }
    }

    /// The canonical name (`leaky_relu`).
    pub fn name(&self) -> &'static str {
        self.kind().info().name
    }

    /// The parameter values, in the catalogue's order.
    pub fn params(&self) -> Vec<f64> {
        match *self {
            Activation::LeakyRelu { alpha }
            | Activation::Elu { alpha }
            | Activation::Celu { alpha } => vec![alpha],
            Activation::Prelu { weight } => vec![weight],
            Activation::Rrelu { lower, upper } => vec![lower, upper],
            Activation::Gelu { approximate } => vec![match approximate {
                GeluApproximation::None => 0.0,
                GeluApproximation::Tanh => 1.0,
            }],
            Activation::Softplus { beta, threshold } => vec![beta, threshold],
            Activation::Hardtanh { min, max } => vec![min, max],
            Activation::Softshrink { lambda } | Activation::Hardshrink { lambda } => vec![lambda],
            Activation::Threshold { threshold, value } => vec![threshold, value],
            Activation::Relu
            | Activation::Sigmoid
            | Activation::Tanh
            | Activation::Selu
            | Activation::Silu
            | Activation::Mish
            | Activation::Softsign
            | Activation::Relu6
            | Activation::Hardsigmoid
            | Activation::Hardswish
            | Activation::LogSigmoid
            | Activation::Tanhshrink => vec![],
        }
    }

    /// Checks the parameters again (the enum's fields are public, so a value can be built
    /// without the constructors). The slice operations call this.
    pub fn validate(&self) -> Result<(), Error> {
        self.kind().with_params(&self.params()).map(|_| ())
    }

    /// f(x), by the scalar definition (see [`scalar`]).
    #[inline]
    pub fn forward<T: Float>(&self, x: T) -> T {
        let t = T::from_f64;
        match *self {
            Activation::LeakyRelu { alpha } => scalar::leaky_relu(x, t(alpha)),
            Activation::Relu => scalar::relu(x),
            Activation::Sigmoid => scalar::sigmoid(x),
            Activation::Tanh => scalar::tanh(x),
            Activation::Prelu { weight } => scalar::leaky_relu(x, t(weight)),
            Activation::Rrelu { lower, upper } => scalar::leaky_relu(x, t((lower + upper) / 2.0)),
            Activation::Elu { alpha } => scalar::elu(x, alpha),
            Activation::Selu => scalar::selu(x),
            Activation::Celu { alpha } => scalar::celu(x, alpha),
            Activation::Gelu {
                approximate: GeluApproximation::None,
            } => scalar::gelu(x),
            Activation::Gelu {
                approximate: GeluApproximation::Tanh,
            } => scalar::gelu_tanh(x),
            Activation::Silu => scalar::silu(x),
            Activation::Mish => scalar::mish(x),
            Activation::Softplus { beta, threshold } => scalar::softplus(x, beta, threshold),
            Activation::Softsign => scalar::softsign(x),
            Activation::Hardtanh { min, max } => scalar::hardtanh(x, t(min), t(max)),
            Activation::Relu6 => scalar::hardtanh(x, T::ZERO, t(6.0)),
            Activation::Hardsigmoid => scalar::hardsigmoid(x),
            Activation::Hardswish => scalar::hardswish(x),
            Activation::LogSigmoid => scalar::log_sigmoid(x),
            Activation::Tanhshrink => scalar::tanhshrink(x),
            Activation::Softshrink { lambda } => scalar::softshrink(x, t(lambda)),
            Activation::Hardshrink { lambda } => scalar::hardshrink(x, t(lambda)),
            Activation::Threshold { threshold, value } => {
                scalar::threshold(x, t(threshold), t(value))
            }
        }
    }

    /// f'(x), by the scalar definition, with PyTorch's value at the kinks (see [`scalar`]).
    #[inline]
    pub fn derivative<T: Float>(&self, x: T) -> T {
        let t = T::from_f64;
        match *self {
            Activation::LeakyRelu { alpha } => scalar::leaky_relu_derivative(x, t(alpha)),
            Activation::Relu => scalar::relu_derivative(x),
            Activation::Sigmoid => scalar::sigmoid_derivative(x),
            Activation::Tanh => scalar::tanh_derivative(x),
            Activation::Prelu { weight } => scalar::leaky_relu_derivative(x, t(weight)),
            Activation::Rrelu { lower, upper } => {
                scalar::leaky_relu_derivative(x, t((lower + upper) / 2.0))
            }
            Activation::Elu { alpha } => scalar::elu_derivative(x, alpha),
            Activation::Selu => scalar::selu_derivative(x),
            Activation::Celu { alpha } => scalar::celu_derivative(x, alpha),
            Activation::Gelu {
                approximate: GeluApproximation::None,
            } => scalar::gelu_derivative(x),
            Activation::Gelu {
                approximate: GeluApproximation::Tanh,
            } => scalar::gelu_tanh_derivative(x),
            Activation::Silu => scalar::silu_derivative(x),
            Activation::Mish => scalar::mish_derivative(x),
            Activation::Softplus { beta, threshold } => {
                scalar::softplus_derivative(x, beta, threshold)
            }
            Activation::Softsign => scalar::softsign_derivative(x),
            Activation::Hardtanh { min, max } => scalar::hardtanh_derivative(x, t(min), t(max)),
            Activation::Relu6 => scalar::hardtanh_derivative(x, T::ZERO, t(6.0)),
            Activation::Hardsigmoid => scalar::hardsigmoid_derivative(x),
            Activation::Hardswish => scalar::hardswish_derivative(x),
            Activation::LogSigmoid => scalar::log_sigmoid_derivative(x),
            Activation::Tanhshrink => scalar::tanhshrink_derivative(x),
            Activation::Softshrink { lambda } | Activation::Hardshrink { lambda } => {
                scalar::shrink_derivative(x, t(lambda))
            }
            Activation::Threshold { threshold, .. } => {
                scalar::threshold_derivative(x, t(threshold))
            }
        }
    }
}

impl Default for Activation {
    fn default() -> Self {
        Activation::DEFAULT
    }
}

/// Writes the spec: the canonical name, then every parameter (`leaky_relu:alpha=0.01`).
/// Values use the shortest form that parses back to the same `f64`.
impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.kind().info();
        f.write_str(info.name)?;
        for (i, (param, value)) in info.params.iter().zip(self.params()).enumerate() {
            let sep = if i == 0 { ':' } else { ',' };
            match param.choices.get(value as usize) {
                Some(word) if !param.choices.is_empty() => write!(f, "{sep}{}={word}", param.name)?,
                _ => write!(f, "{sep}{}={value:?}", param.name)?,
            }
        }
        Ok(())
    }
}

/// Parses a spec: `NAME` or `NAME:KEY=VALUE[,KEY=VALUE...]`. A value may also be given without
/// its key, in the catalogue's order (`leaky_relu:0.2`). Unset parameters take their defaults.
impl FromStr for Activation {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self, Error> {
        let malformed = |reason: String| Error::MalformedSpec {
            spec: spec.to_string(),
            reason,
        };
        let (name, args) = match spec.split_once(':') {
            Some((name, args)) => (name.trim(), Some(args)),
            None => (spec.trim(), None),
        };
        if name.is_empty() {
            return Err(malformed("the name is empty".into()));
        }
        let kind = Kind::from_name(name)?;
        let info = kind.info();
        let mut values: Vec<f64> = info.params.iter().map(|p| p.default).collect();
        let mut given = vec![false; values.len()];
        for (position, arg) in args.into_iter().flat_map(|a| a.split(',')).enumerate() {
            let arg = arg.trim();
            if arg.is_empty() {
                return Err(malformed("an empty parameter".into()));
            }
            let (index, text) = match arg.split_once('=') {
                Some((key, text)) => (param_index(info, key.trim())?, text.trim()),
                None if position < info.params.len() => (position, arg),
                None => {
                    return Err(malformed(format!(
                        "'{arg}' has no name and {} takes {} parameter(s)",
                        info.name,
                        info.params.len()
                    )));
                }
            };
            if given[index] {
                return Err(malformed(format!(
                    "{} is given twice",
                    info.params[index].name
                )));
            }
            given[index] = true;
            let param = &info.params[index];
            values[index] = if param.choices.is_empty() {
                text.parse().map_err(|_| {
                    malformed(format!("'{text}' is not a number (for {})", param.name))
                })?
            } else {
                let word = text.to_ascii_lowercase();
                let position = param.choices.iter().position(|c| *c == word);
                position.ok_or_else(|| {
                    malformed(format!(
                        "'{text}' is not one of {} (for {})",
                        param.choices.join(", "),
                        param.name
                    ))
                })? as f64
            };
        }
        kind.with_params(&values)
    }
}

fn param_index(info: &'static KindInfo, key: &str) -> Result<usize, Error> {
    let wanted = key.to_ascii_lowercase();
    info.params
        .iter()
        .position(|p| p.name == wanted || p.aliases.contains(&wanted.as_str()))
        .ok_or_else(|| Error::UnknownParameter {
            activation: info.name,
            parameter: key.to_string(),
            expected: info.params.iter().map(|p| p.name).collect(),
        })
}

/// Lower-cases and drops `_`, `-` and spaces, so `Leaky_ReLU`, `leaky-relu` and `LeakyReLU` meet.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The canonical name closest to `wanted` (already normalized), if it is close enough to be a typo.
fn closest_name(wanted: &str) -> Option<&'static str> {
    Kind::ALL
        .iter()
        .map(|k| k.info())
        .map(|info| {
            let d = edit_distance(wanted, &normalize(info.name))
                .min(edit_distance(wanted, &normalize(info.torch_name)));
            (d, info.name)
        })
        .min_by_key(|&(d, _)| d)
        .filter(|&(d, name)| d <= 2.max(name.len() / 3))
        .map(|(_, name)| name)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}
