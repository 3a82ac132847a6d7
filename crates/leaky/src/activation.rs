//! [`Activation`]: what every activation has in common — its catalogue entry ([`KindInfo`],
//! [`ParamInfo`]), its parameters' checks, its spec (`Display`) — and the `catalogue!` macro that
//! turns the table in `catalogue.rs`, one entry per activation, into the [`Activation`] and
//! [`Kind`](crate::Kind) enums and every `match` over them.

use std::fmt;

use crate::Error;
use crate::math::VectorMath;

/// Which formula [`Activation::Gelu`] uses (PyTorch's `approximate` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeluApproximation {
    /// The exact `x·Φ(x)`, PyTorch's default (`approximate='none'`).
    None,
    /// `x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`approximate='tanh'`, JAX's default).
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
    /// For a parameter that takes one of a few words (GELU's `approximate`), the words; the
    /// value is the word's index. Empty for numeric parameters.
    pub choices: &'static [&'static str],
}

/// The type of a parameter in the catalogue, and its value as the `f64` that
/// [`Activation::params`] and [`Kind::with_params`](crate::Kind::with_params) carry.
pub(crate) trait Param: Copy {
    /// The words it takes, their index being the value; empty for a number.
    const CHOICES: &'static [&'static str];
    /// From a value already checked against [`Param::CHOICES`].
    fn from_value(value: f64) -> Self;
    /// The value.
    fn to_value(self) -> f64;
}

impl Param for f64 {
    const CHOICES: &'static [&'static str] = &[];
    fn from_value(value: f64) -> f64 {
        value
    }
    fn to_value(self) -> f64 {
        self
    }
}

impl Param for GeluApproximation {
    const CHOICES: &'static [&'static str] = &["none", "tanh"];
    fn from_value(value: f64) -> GeluApproximation {
        if value == 0.0 {
            GeluApproximation::None
        } else {
            GeluApproximation::Tanh
        }
    }
    fn to_value(self) -> f64 {
        match self {
            GeluApproximation::None => 0.0,
            GeluApproximation::Tanh => 1.0,
        }
    }
}

/// Something to run with an activation's scalar forward as a closure of its own type, so that a
/// loop over a slice is compiled for that activation alone.
pub(crate) trait WithScalarMap<T> {
    /// What the run gives.
    type Output;
    /// Runs with `f`.
    fn with(self, f: impl Fn(T) -> T + Sync) -> Self::Output;
}

/// [`WithScalarMap`] for a function of two values: a backward `(x or y, g) -> grad_in`.
pub(crate) trait WithScalarZip<T> {
    /// What the run gives.
    type Output;
    /// Runs with `f`.
    fn with(self, f: impl Fn(T, T) -> T + Sync) -> Self::Output;
}

/// Something to run with an activation's `f32` vector-math kernel.
pub(crate) trait WithVectorMath {
    /// What the run gives.
    type Output;
    /// Runs with `math`.
    fn with<M: VectorMath>(self, math: M) -> Self::Output;
}

/// Checks what every activation's parameters must satisfy: their number, the words of a
/// parameter with choices, and finiteness. The checks of one activation follow in its entry.
pub(crate) fn check_values(info: &'static KindInfo, values: &[f64]) -> Result<(), Error> {
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
    Ok(())
}

/// The error for the parameter `name` of `values`, which an activation's own check refused.
pub(crate) fn invalid(
    info: &'static KindInfo,
    name: &str,
    values: &[f64],
    reason: &'static str,
) -> Error {
    let index = info
        .params
        .iter()
        .position(|p| p.name == name)
        .expect("a check names a parameter of its activation");
    Error::InvalidParameter {
        activation: info.name,
        parameter: info.params[index].name,
        value: values[index],
        reason,
    }
}

/// Expands the catalogue (see `catalogue.rs` for the fields of an entry) into the
/// [`Activation`] and [`Kind`](crate::Kind) enums, the catalogue's entries, the parameters'
/// checks, the scalar forward and derivative, and the lookups of the slice operations: the
/// scalar loops, the kernels, the backward from the output.
macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $variant:ident $({
            $(
                $(#[$field_doc:meta])*
                $field:ident: $ty:ty = $default:expr, $(aka [$($alias:literal),*],)? $param_doc:literal
            ),* $(,)?
        })? => {
            name: $name:literal,
            torch: $torch:literal,
            formula: $formula:literal,
            derivative: $derivative_text:literal,
            piecewise_linear: $linear:tt,
            $(invalid: [$($bad:expr => $bad_field:ident: $reason:literal),* $(,)?],)?
            forward: |$fx:ident| $forward:expr,
            derivative: |$dx:ident| $derivative:expr,
            $(backward: |$bx:ident, $bg:ident| $backward:expr,)?
            $(from_output: $(except $refused:expr => $why:expr,)? |$oy:ident, $og:ident| $from_output:expr,)?
            $(kernel: { forward: $map:expr, backward: $zip:expr $(, from_output: $out_kernel:expr)? $(,)? },)?
            $(vector_math: |$run:ident| $math:expr,)?
        }
    ),* $(,)?) => {
        /// An activation function with its parameters, validated.
        ///
        /// Build one from a spec string (`"leaky_relu:alpha=0.2".parse()`), or with a constructor
        /// such as [`Activation::leaky_relu`], which checks the parameters. `Display` writes a
        /// spec that parses back to the same activation.
        #[derive(Clone, Copy, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Activation {
            $(
                $(#[$doc])*
                $variant $({ $( $(#[$field_doc])* $field: $ty ),* })?,
            )*
        }

        /// Which activation, without its parameters: the key of the [catalogue](Kind::ALL).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $(
                #[doc = concat!("[`Activation::", stringify!($variant), "`], `", $name, "`.")]
                $variant,
            )*
        }

        impl Kind {
            /// Every activation, in the order `leaky list` shows them.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The catalogue entry: names, parameters, formulas.
            pub fn info(self) -> &'static $crate::KindInfo {
                match self {
                    $(Kind::$variant => const {
                        &$crate::KindInfo {
                            name: $name,
                            torch_name: $torch,
                            params: &[$($($crate::ParamInfo {
                                name: stringify!($field),
                                aliases: &[$($($alias),*)?],
                                default: $default,
                                doc: $param_doc,
                                choices: <$ty as $crate::activation::Param>::CHOICES,
                            }),*)?],
                            formula: $formula,
                            derivative: $derivative_text,
                        }
                    },)*
                }
            }

            /// Whether the function is piecewise linear (its kernels then match PyTorch bit for
            /// bit and its backward is a select), rather than smooth (held to a ULP bound).
            pub fn is_piecewise_linear(self) -> bool {
                match self {
                    $(Kind::$variant => $linear,)*
                }
            }

            /// Builds the activation from its parameter values, in the catalogue's order,
            /// checking them.
            pub fn with_params(self, values: &[f64]) -> Result<Activation, $crate::Error> {
                let info = self.info();
                $crate::activation::check_values(info, values)?;
                let mut next = values.iter().copied();
                match self {
                    $(Kind::$variant => {
                        $($(
                            let $field = <$ty as $crate::activation::Param>::from_value(
                                next.next().expect("checked: one value per parameter"),
                            );
                        )*)?
                        $($(
                            if $bad {
                                let field = stringify!($bad_field);
                                return Err($crate::activation::invalid(info, field, values, $reason));
                            }
                        )*)?
                        Ok(Activation::$variant $({ $($field),* })?)
                    })*
                }
            }
        }

        #[allow(unused_variables)]
        impl Activation {
            /// Which activation this is.
            pub fn kind(&self) -> Kind {
                match self {
                    $(Activation::$variant { .. } => Kind::$variant,)*
                }
            }

            /// The parameter values, in the catalogue's order.
            pub fn params(&self) -> Vec<f64> {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => vec![
                        $($($crate::activation::Param::to_value($field)),*)?
                    ],)*
                }
            }

            /// f(x), by the scalar definition (see [`scalar`](crate::scalar)).
            #[inline]
            pub fn forward<T: $crate::Float>(&self, input: T) -> T {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        let $fx = input;
                        $forward
                    })*
                }
            }

            /// f'(x), by the scalar definition, with PyTorch's value at the kinks (see
            /// [`scalar`](crate::scalar)).
            #[inline]
            pub fn derivative<T: $crate::Float>(&self, input: T) -> T {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        let $dx = input;
                        $derivative
                    })*
                }
            }

            /// Runs `run` with the scalar forward.
            pub(crate) fn with_scalar_forward<T: $crate::Float, R>(&self, run: R) -> R::Output
            where
                R: $crate::activation::WithScalarMap<T>,
            {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        $crate::activation::WithScalarMap::with(run, move |$fx: T| $forward)
                    })*
                }
            }

            /// Runs `run` with the scalar backward from the input, `(x, g) -> grad_in`: the
            /// entry's own, else a select for a piecewise-linear function (`f'(x) == 0 ? 0 :
            /// g·f'(x)`, as PyTorch), else `g·f'(x)`.
            pub(crate) fn with_scalar_backward<T: $crate::Float, R>(&self, run: R) -> R::Output
            where
                R: $crate::activation::WithScalarZip<T>,
            {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        catalogue!(@backward run, T, $linear, |$dx| $derivative
                            $(, |$bx, $bg| $backward)?)
                    })*
                }
            }

            /// Why the backward from the output does not apply to these parameters, if it does
            /// not (a function it never applies to says so in
            /// [`Activation::with_scalar_from_output`]).
            pub(crate) fn refusal_from_output(&self) -> Option<&'static str> {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        $($(if $refused {
                            return Some($why);
                        })?)?
                        None
                    })*
                }
            }

            /// Runs `run` with the scalar backward from the output, `(y, g) -> grad_in`; `None`
            /// where f' cannot be told from f(x).
            pub(crate) fn with_scalar_from_output<T: $crate::Float, R>(
                &self,
                run: R,
            ) -> Option<R::Output>
            where
                R: $crate::activation::WithScalarZip<T>,
            {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        catalogue!(@some $($crate::activation::WithScalarZip::with(
                            run,
                            move |$oy: T, $og: T| $from_output,
                        ))?)
                    })*
                }
            }

            /// The kernels of an activation that has them in every element type: the forward
            /// and the backward from the input.
            pub(crate) fn kernels<T: $crate::Float>(
                &self,
            ) -> Option<($crate::kernels::Map<T>, $crate::kernels::Zip<T>)> {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        catalogue!(@some $(($map, $zip))?)
                    })*
                }
            }

            /// The kernel of the backward from the output, if there is one.
            pub(crate) fn kernel_from_output<T: $crate::Float>(
                &self,
            ) -> Option<$crate::kernels::Zip<T>> {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        catalogue!(@some $($($out_kernel)?)?)
                    })*
                }
            }

            /// Runs `run` with the `f32` vector-math kernel, if the activation has one for these
            /// parameters.
            pub(crate) fn with_vector_math<R>(&self, run: R) -> Option<R::Output>
            where
                R: $crate::activation::WithVectorMath,
            {
                match *self {
                    $(Activation::$variant $({ $($field),* })? => {
                        catalogue!(@either $({
                            let $run = run;
                            $math
                        })?)
                    })*
                }
            }
        }
    };
    (@backward $run:ident, $T:ident, $linear:tt, |$dx:ident| $derivative:expr,
        |$bx:ident, $bg:ident| $backward:expr) => {
        $crate::activation::WithScalarZip::with($run, move |$bx: $T, $bg: $T| $backward)
    };
    (@backward $run:ident, $T:ident, true, |$dx:ident| $derivative:expr) => {
        $crate::activation::WithScalarZip::with($run, move |$dx: $T, g: $T| {
            let d = $derivative;
            if d == <$T as $crate::Float>::ZERO {
                <$T as $crate::Float>::ZERO
            } else {
                g * d
            }
        })
    };
    (@backward $run:ident, $T:ident, false, |$dx:ident| $derivative:expr) => {
        $crate::activation::WithScalarZip::with($run, move |$dx: $T, g: $T| g * $derivative)
    };
    (@some) => { None };
    (@some $e:expr) => { Some($e) };
    (@either) => { None };
    (@either $e:expr) => { $e };
}
pub(crate) use catalogue;

impl crate::Activation {
    /// The article's activation: LeakyReLU with α = 0.01.
    pub const DEFAULT: crate::Activation = crate::Activation::LeakyRelu { alpha: 0.01 };

    /// LeakyReLU with slope `alpha` for x ≤ 0; `alpha` must be finite (negative and > 1 allowed).
    pub fn leaky_relu(alpha: f64) -> Result<crate::Activation, Error> {
        crate::Kind::LeakyRelu.with_params(&[alpha])
    }

    /// The canonical name (`leaky_relu`).
    pub fn name(&self) -> &'static str {
        self.kind().info().name
    }

    /// Checks the parameters again (the enum's fields are public, so a value can be built
    /// without the constructors). The slice operations call this.
    pub fn validate(&self) -> Result<(), Error> {
        self.kind().with_params(&self.params()).map(|_| ())
    }
}

impl crate::Kind {
    /// The activation with every parameter at its default.
    pub fn default_activation(self) -> crate::Activation {
        let defaults: Vec<f64> = self.info().params.iter().map(|p| p.default).collect();
        self.with_params(&defaults)
            .expect("catalogue defaults are valid")
    }
}

impl Default for crate::Activation {
    fn default() -> Self {
        crate::Activation::DEFAULT
    }
}

/// Writes the spec: the canonical name, then every parameter (`leaky_relu:alpha=0.01`).
/// Values use the shortest form that parses back to the same `f64`.
impl fmt::Display for crate::Activation {
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
