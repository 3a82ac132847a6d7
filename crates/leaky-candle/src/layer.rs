//! [`ActivationLayer`]: an activation as a candle [`Module`], for model definitions.

use std::fmt;
use std::str::FromStr;

use candle_core::{Error, Module, Result, Tensor};
use leaky::Activation;

use crate::activate;

/// An activation as a layer: [`Module::forward`] is [`activate`] with this activation.
///
/// Build one from an [`Activation`] (`ActivationLayer::new`, `From`) or from a spec string
/// (`"leaky_relu:alpha=0.2".parse()`); a bad spec is a candle error carrying the core library's
/// message. The default is LeakyReLU with α = 0.01. `Display` writes the spec back.
#[derive(Clone, Debug, Default)]
pub struct ActivationLayer {
    activation: Activation,
}

impl ActivationLayer {
    /// A layer applying `activation`. Its parameters are checked when the layer runs.
    pub fn new(activation: Activation) -> Self {
        Self { activation }
    }

    /// The activation this layer applies.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl From<Activation> for ActivationLayer {
    fn from(activation: Activation) -> Self {
        Self::new(activation)
    }
}

/// Parses a spec such as `leaky_relu`, `leaky_relu:alpha=0.2` or `LeakyReLU:0.2`
/// (see [`Activation`]'s `FromStr`).
impl FromStr for ActivationLayer {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self> {
        spec.parse().map(Self::new).map_err(Error::wrap)
    }
}

impl fmt::Display for ActivationLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.activation.fmt(f)
    }
}

impl Module for ActivationLayer {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        activate(xs, &self.activation)
    }
}
