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
}

/// Which activation, without its parameters: the key of the [catalogue](Kind::ALL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// LeakyReLU.
    LeakyRelu,
    /// ReLU.
    Relu,
    /// Sigmoid.
    Sigmoid,
    /// Tanh.
    Tanh,
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
}

const ALPHA: ParamInfo = ParamInfo {
    name: "alpha",
    aliases: &["negative_slope"],
    default: 0.01,
    doc: "slope for x <= 0; any finite value",
};

impl Kind {
    /// Every activation, in the order `leaky list` shows them.
    pub const ALL: &'static [Kind] = &[Kind::LeakyRelu, Kind::Relu, Kind::Sigmoid, Kind::Tanh];

    /// The catalogue entry: names, parameters, formulas.
    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::LeakyRelu => &KindInfo {
                name: "leaky_relu",
                torch_name: "LeakyReLU",
                params: &[ALPHA],
                formula: "x > 0 ? x : alpha*x",
                derivative: "x > 0 ? 1 : alpha (f'(0) = alpha)",
            },
            Kind::Relu => &KindInfo {
                name: "relu",
                torch_name: "ReLU",
                params: &[],
                formula: "x > 0 ? x : 0",
                derivative: "x > 0 ? 1 : 0 (f'(0) = 0)",
            },
            Kind::Sigmoid => &KindInfo {
                name: "sigmoid",
                torch_name: "Sigmoid",
                params: &[],
                formula: "1 / (1 + exp(-x))",
                derivative: "sigmoid(x) * (1 - sigmoid(x))",
            },
            Kind::Tanh => &KindInfo {
                name: "tanh",
                torch_name: "Tanh",
                params: &[],
                formula: "(exp(x) - exp(-x)) / (exp(x) + exp(-x))",
                derivative: "1 - tanh(x)^2",
            },
        }
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
            if !value.is_finite() {
                return Err(Error::InvalidParameter {
                    activation: info.name,
                    parameter: param.name,
                    value,
                    reason: "it must be a finite number",
                });
            }
        }
        Ok(match self {
            Kind::LeakyRelu => Activation::LeakyRelu { alpha: values[0] },
            Kind::Relu => Activation::Relu,
            Kind::Sigmoid => Activation::Sigmoid,
            Kind::Tanh => Activation::Tanh,
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
        }
    }

    /// The canonical name (`leaky_relu`).
    pub fn name(&self) -> &'static str {
        self.kind().info().name
    }

    /// The parameter values, in the catalogue's order.
    pub fn params(&self) -> Vec<f64> {
        match *self {
            Activation::LeakyRelu { alpha } => vec![alpha],
            Activation::Relu | Activation::Sigmoid | Activation::Tanh => vec![],
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
        match *self {
            Activation::LeakyRelu { alpha } => scalar::leaky_relu(x, T::from_f64(alpha)),
            Activation::Relu => scalar::relu(x),
            Activation::Sigmoid => scalar::sigmoid(x),
            Activation::Tanh => scalar::tanh(x),
        }
    }

    /// f'(x), by the scalar definition, with PyTorch's value at the kinks (see [`scalar`]).
    #[inline]
    pub fn derivative<T: Float>(&self, x: T) -> T {
        match *self {
            Activation::LeakyRelu { alpha } => scalar::leaky_relu_derivative(x, T::from_f64(alpha)),
            Activation::Relu => scalar::relu_derivative(x),
            Activation::Sigmoid => scalar::sigmoid_derivative(x),
            Activation::Tanh => scalar::tanh_derivative(x),
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
            write!(f, "{sep}{}={value:?}", param.name)?;
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
            values[index] = text.parse().map_err(|_| {
                malformed(format!(
                    "'{text}' is not a number (for {})",
                    info.params[index].name
                ))
            })?;
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
