//! The one error type of the library: every message says what was wrong and how to fix it.

use std::fmt;

/// What went wrong when building an activation or running a slice operation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The spec names no known activation.
    UnknownActivation {
        /// The name as written.
        name: String,
        /// The closest known name, if one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
    },
    /// The activation has no parameter of that name.
    UnknownParameter {
        /// The activation's canonical name.
        activation: &'static str,
        /// The parameter as written.
        parameter: String,
        /// The parameters it does take.
        expected: Vec<&'static str>,
    },
    /// The spec is not of the form `name` or `name:key=value,key=value`.
    MalformedSpec {
        /// The spec as written.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter value is out of its domain (NaN, infinite, or forbidden by the activation).
    InvalidParameter {
        /// The activation's canonical name.
        activation: &'static str,
        /// The parameter's canonical name.
        parameter: &'static str,
        /// The value given.
        value: f64,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// Two slices that must have the same length do not.
    LengthMismatch {
        /// The slice whose length is wrong.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// Two arrays that must have the same shape do not.
    ShapeMismatch {
        /// The array whose shape is wrong.
        what: &'static str,
        /// The shape it must have.
        expected: Vec<usize>,
        /// The shape it has.
        found: Vec<usize>,
    },
    /// The operation is not defined for this activation and these parameters.
    Unsupported {
        /// The activation as a spec.
        activation: String,
        /// Why, and what to do instead.
        reason: &'static str,
    },
    /// A kernel tier was asked for (by [`kernels::set_tier`](crate::kernels::set_tier),
    /// [`kernels::with_tier`](crate::kernels::with_tier) or `LEAKY_TIER`) that this processor
    /// cannot run.
    TierUnavailable {
        /// The tier asked for.
        tier: &'static str,
        /// The tiers this processor can run, best last.
        available: Vec<&'static str>,
    },
    /// A setting (an environment variable or an argument of the kernel settings API) has a
    /// value that cannot be used.
    InvalidSetting {
        /// Where the value came from (`LEAKY_TIER`, `LEAKY_THREADS`, `threads`).
        setting: &'static str,
        /// The value as given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownActivation { name, suggestion } => {
                write!(f, "unknown activation '{name}'")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean '{s}'?"),
                    None => write!(f, "; `leaky list` shows the known ones"),
                }
            }
            Error::UnknownParameter {
                activation,
                parameter,
                expected,
            } => {
                write!(f, "{activation} has no parameter '{parameter}'; ")?;
                if expected.is_empty() {
                    write!(f, "it takes none")
                } else {
                    write!(f, "it takes: {}", expected.join(", "))
                }
            }
            Error::MalformedSpec { spec, reason } => {
                write!(
                    f,
                    "malformed activation spec '{spec}': {reason} (expected NAME or NAME:KEY=VALUE[,KEY=VALUE...], e.g. leaky_relu:alpha=0.2)"
                )
            }
            Error::InvalidParameter {
                activation,
                parameter,
                value,
                reason,
            } => write!(
                f,
                "{activation}: {parameter} = {value} is invalid: {reason}"
            ),
            Error::LengthMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "length mismatch: {what} has {found} elements but the input has {expected}"
            ),
            Error::ShapeMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch: {what} has shape {found:?} but the input has {expected:?}"
            ),
            Error::Unsupported { activation, reason } => write!(f, "{activation}: {reason}"),
            Error::TierUnavailable { tier, available } => write!(
                f,
                "the {tier} kernel tier is not available on this processor; available: {} (unset LEAKY_TIER to choose automatically)",
                available.join(", ")
            ),
            Error::InvalidSetting {
                setting,
                value,
                expected,
            } => write!(f, "{setting} = '{value}' is invalid: expected {expected}"),
        }
    }
}

impl std::error::Error for Error {}
