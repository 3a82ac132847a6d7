//! The digit classifier: two convolution layers with pooling, then two linear layers.
//!
//! ```text
//! (n,1,28,28) → conv 3x3, C₁ → act → maxpool 2 → conv 3x3, C₂ → act → maxpool 2
//!             → flatten (C₂·7·7) → linear H → act → linear 10 (logits)
//! ```
//!
//! With `prelu` the slopes are learned: one per channel (per unit of the hidden layer), each
//! layer its own, starting at the spec's `weight`.

use candle_core::{D, DType, Result, Tensor, Var};
use candle_nn::{Conv2dConfig, Module, VarBuilder, VarMap};
use leaky::{Activation, GeluApproximation};
use serde::Serialize;

use crate::error::LabError;
use crate::files::checkpoint::{Checkpoint, CheckpointError, MAX_WIDTH};
use crate::models::init::seeded_var_builder;
use leaky_candle::{Conv2d, Linear, Prelu, activate, max_pool2};

/// The number of activated layers (two convolutions and the hidden linear layer).
pub const LAYERS: usize = 3;
/// Their names, as in checkpoints and reports.
pub const LAYER_NAMES: [&str; LAYERS] = ["conv1", "conv2", "hidden"];

/// The shape of a [`Cnn`] and its activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CnnConfig {
    /// The activation after each convolution and the hidden linear layer.
    pub activation: Activation,
    /// The channels of the first convolution.
    pub channels1: usize,
    /// The channels of the second convolution.
    pub channels2: usize,
    /// The width of the hidden linear layer.
    pub hidden: usize,
}

impl CnnConfig {
    /// The default shape (32 and 64 channels, 128 hidden units) with `activation`.
    pub fn new(activation: Activation) -> Self {
        CnnConfig {
            activation,
            channels1: 32,
            channels2: 64,
            hidden: 128,
        }
    }

    /// Writes the configuration into a checkpoint's metadata.
    pub fn store(&self, checkpoint: &mut Checkpoint) {
        checkpoint.set("activation", self.activation);
        checkpoint.set("channels1", self.channels1);
        checkpoint.set("channels2", self.channels2);
        checkpoint.set("hidden", self.hidden);
    }

    /// Reads the configuration from a checkpoint's metadata (each width from 1 to
    /// [`MAX_WIDTH`]).
    pub fn read(checkpoint: &Checkpoint) -> std::result::Result<Self, CheckpointError> {
        Ok(CnnConfig {
            activation: checkpoint.get("activation")?,
            channels1: checkpoint.get_within("channels1", 1..=MAX_WIDTH)?,
            channels2: checkpoint.get_within("channels2", 1..=MAX_WIDTH)?,
            hidden: checkpoint.get_within("hidden", 1..=MAX_WIDTH)?,
        })
    }
}

/// Which ops a model computes its convolutions, activations and pooling with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ops {
    /// Ours: `leaky_candle`'s convolutions ([`leaky_candle::conv`]), fused activations
    /// ([`leaky_candle::activate`]) and pooling ([`leaky_candle::max_pool2`]), each one pass
    /// forward and one backward.
    #[default]
    Fused,
    /// Ours, except the activations: candle's own (`candle_nn::ops::leaky_relu`, `Tensor::relu`,
    /// ...), only for the activations candle has. Its LeakyReLU has f'(0) = (1 + α)/2.
    CandleActivations,
    /// candle's own ops throughout: its `Conv2d`, its activations as in
    /// [`Ops::CandleActivations`], and its `max_pool2d` (whose gradient candle 0.11 scales by the
    /// fraction of a window at its maximum: see [`leaky_candle::pool`]), to compare speed against.
    Candle,
}

/// Whether candle has an op of its own for `act`.
fn candle_has(act: &Activation) -> bool {
    matches!(
        act,
        Activation::LeakyRelu { .. }
            | Activation::Relu
            | Activation::Sigmoid
            | Activation::Tanh
            | Activation::Elu { .. }
            | Activation::Silu
            | Activation::Gelu { .. }
    )
}

/// `act` applied with candle's own op.
fn candle_activation(x: &Tensor, act: &Activation) -> Result<Tensor> {
    match *act {
        Activation::LeakyRelu { alpha } => candle_nn::ops::leaky_relu(x, alpha),
        Activation::Relu => x.relu(),
        Activation::Sigmoid => candle_nn::ops::sigmoid(x),
        Activation::Tanh => x.tanh(),
        Activation::Elu { alpha } => x.elu(alpha),
        Activation::Silu => x.silu(),
        Activation::Gelu {
            approximate: GeluApproximation::Tanh,
        } => x.gelu(),
        Activation::Gelu {
            approximate: GeluApproximation::None,
        } => x.gelu_erf(),
        _ => candle_core::bail!("candle has no op of its own for {act}"),
    }
}

/// The digit classifier.
pub struct Cnn {
    config: CnnConfig,
    ops: Ops,
    conv1: Conv2d,
    conv2: Conv2d,
    hidden: Linear,
    output: Linear,
    /// The learned slopes of each activated layer, with `prelu`.
    slopes: Option<[Prelu; LAYERS]>,
}

impl Cnn {
    /// Builds the layers with weights from `vb`.
    pub fn new(config: CnnConfig, vb: VarBuilder) -> Result<Self> {
        let same = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        let flat = config.channels2 * 7 * 7;
        let conv1 = Conv2d::new(candle_nn::conv2d(
            1,
            config.channels1,
            3,
            same,
            vb.pp("conv1"),
        )?)?;
        let conv2 = Conv2d::new(candle_nn::conv2d(
            config.channels1,
            config.channels2,
            3,
            same,
            vb.pp("conv2"),
        )?)?;
        let hidden = Linear::new(candle_nn::linear(flat, config.hidden, vb.pp("hidden"))?);
        let output = Linear::new(candle_nn::linear(config.hidden, 10, vb.pp("output"))?);
        // Built last, from constants: the other weights are the same as with any other activation.
        let slopes = match config.activation {
            Activation::Prelu { weight } => {
                let units = [config.channels1, config.channels2, config.hidden];
                let layer = |l: usize| {
                    Prelu::with_init(units[l], weight, vb.pp(LAYER_NAMES[l]).pp("prelu"))
                };
                Some([layer(0)?, layer(1)?, layer(2)?])
            }
            _ => None,
        };
        Ok(Cnn {
            config,
            ops: Ops::Fused,
            conv1,
            conv2,
            hidden,
            output,
            slopes,
        })
    }

    /// A new model with weights drawn from `seed`, its variables in `varmap`.
    pub fn seeded(config: CnnConfig, varmap: &VarMap, seed: u64) -> Result<Self> {
        Cnn::new(config, seeded_var_builder(varmap, seed))
    }

    /// The model saved in a checkpoint, ready for inference (its weights are variables, so
    /// gradients reach them).
    pub fn load(checkpoint: &Checkpoint) -> std::result::Result<Self, CheckpointError> {
        let config = CnnConfig::read(checkpoint)?;
        let varmap = VarMap::new();
        Cnn::new(config, checkpoint.var_builder(&varmap))
            .map_err(|e| checkpoint.invalid(e.to_string()))
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &CnnConfig {
        &self.config
    }

    /// The same model computing with `ops`; refuses candle's ops for an activation candle does
    /// not have.
    pub fn with_ops(self, ops: Ops) -> std::result::Result<Self, LabError> {
        if ops != Ops::Fused && !candle_has(&self.config.activation) {
            return Err(LabError::Settings(format!(
                "candle has no op of its own for {}",
                self.config.activation
            )));
        }
        Ok(Cnn { ops, ..self })
    }

    /// The logits, `(n, 10)`, for standardised images `(n, 1, 28, 28)` (see [`crate::data::dataset::Scale::Standard`]).
    ///
    /// With the fused ops and a fixed activation, each convolution and its activation run as one
    /// op ([`Conv2d::forward_activated`]): the same values and gradients as
    /// [`Cnn::forward_recorded`], bit for bit, with less work per training step.
    pub fn forward(&self, images: &Tensor) -> Result<Tensor> {
        self.run(images, None)
    }

    /// The logits and the pre-activations of the three activated layers: conv1 `(n, C₁, 28, 28)`,
    /// conv2 `(n, C₂, 14, 14)` and hidden `(n, H)` (see [`crate::units::dead`]).
    pub fn forward_recorded(&self, images: &Tensor) -> Result<(Tensor, [Tensor; LAYERS])> {
        let mut pre = Vec::with_capacity(LAYERS);
        let logits = self.run(images, Some(&mut pre))?;
        let pre: [Tensor; LAYERS] = pre.try_into().expect("one pre-activation per layer");
        Ok((logits, pre))
    }

    /// The logits and the pre-activations as [`Cnn::forward_recorded`] gives them (the same
    /// values, bit for bit), without gradients: for evaluating and measuring a model. With the
    /// fused ops, each convolution, its activation and its pooling run as one pass
    /// ([`Conv2d::forward_activated_pooled_recorded`]).
    pub fn forward_measured(&self, images: &Tensor) -> Result<(Tensor, [Tensor; LAYERS])> {
        if !self.fuses() {
            return self.forward_recorded(images);
        }
        let act = &self.config.activation;
        let (x, pre1) = self.conv1.forward_activated_pooled_recorded(images, act)?;
        let (x, pre2) = self.conv2.forward_activated_pooled_recorded(&x, act)?;
        let pre3 = self.dense(&self.hidden, &x.flatten_from(1)?)?;
        let hidden = self.activate(2, &pre3)?;
        Ok((self.dense(&self.output, &hidden)?, [pre1, pre2, pre3]))
    }

    /// The logits, pushing the pre-activations onto `pre` when given.
    fn run(&self, images: &Tensor, mut pre: Option<&mut Vec<Tensor>>) -> Result<Tensor> {
        let x = self.conv_block(0, &self.conv1, images, pre.as_deref_mut())?;
        let x = self.conv_block(1, &self.conv2, &x, pre.as_deref_mut())?;
        let x = x.flatten_from(1)?;
        let hidden = match pre {
            None if self.fuses() => self.hidden.forward_activated(&x, &self.config.activation)?,
            pre => {
                let pre3 = self.dense(&self.hidden, &x)?;
                let hidden = self.activate(2, &pre3)?;
                if let Some(pre) = pre {
                    pre.push(pre3);
                }
                hidden
            }
        };
        self.dense(&self.output, &hidden)
    }

    /// Whether each layer and its activation run as one op: with the fused ops and a fixed
    /// activation (PReLU's slopes are variables of their own).
    fn fuses(&self) -> bool {
        self.ops == Ops::Fused && self.slopes.is_none()
    }

    /// `pool(f(conv(x)))` for activated layer `layer`, pushing `conv(x)` onto `pre` when given.
    fn conv_block(
        &self,
        layer: usize,
        conv: &Conv2d,
        x: &Tensor,
        pre: Option<&mut Vec<Tensor>>,
    ) -> Result<Tensor> {
        if pre.is_none() && self.fuses() {
            return conv.forward_activated_pooled(x, &self.config.activation);
        }
        let z = self.convolve(conv, x)?;
        let y = self.activate(layer, &z)?;
        if let Some(pre) = pre {
            pre.push(z);
        }
        self.pool(&y)
    }

    /// The weights of the three activated layers (conv1, conv2, hidden), without their biases.
    pub fn activated_weights(&self) -> [&Tensor; LAYERS] {
        [
            self.conv1.inner().weight(),
            self.conv2.inner().weight(),
            self.hidden.inner().weight(),
        ]
    }

    /// `conv` applied to `x` with the model's ops.
    fn convolve(&self, conv: &Conv2d, x: &Tensor) -> Result<Tensor> {
        match self.ops {
            Ops::Fused | Ops::CandleActivations => conv.forward(x),
            Ops::Candle => conv.inner().forward(x),
        }
    }

    /// A linear layer with the model's ops.
    fn dense(&self, layer: &Linear, x: &Tensor) -> Result<Tensor> {
        match self.ops {
            Ops::Fused | Ops::CandleActivations => layer.forward(x),
            Ops::Candle => layer.inner().forward(x),
        }
    }

    /// 2×2 max pooling with the model's ops.
    fn pool(&self, x: &Tensor) -> Result<Tensor> {
        match self.ops {
            Ops::Fused | Ops::CandleActivations => max_pool2(x),
            Ops::Candle => x.max_pool2d(2),
        }
    }

    /// The activation of layer `layer` (0, 1 or 2) applied to its pre-activation.
    fn activate(&self, layer: usize, pre: &Tensor) -> Result<Tensor> {
        match &self.slopes {
            Some(slopes) => slopes[layer].forward(pre),
            None => match self.ops {
                Ops::Fused => activate(pre, &self.config.activation),
                Ops::CandleActivations | Ops::Candle => {
                    candle_activation(pre, &self.config.activation)
                }
            },
        }
    }

    /// Sets the biases of the three activated layers to `value`, in a model built from a
    /// `VarMap` (negative values start units near death: `leaky compare --stress`).
    pub fn set_activated_biases(&self, value: f32) -> Result<()> {
        let biases = [
            self.conv1.inner().bias(),
            self.conv2.inner().bias(),
            self.hidden.inner().bias(),
        ];
        for bias in biases.into_iter().flatten() {
            Var::from_tensor(bias)?.set(&Tensor::full(value, bias.shape(), bias.device())?)?;
        }
        Ok(())
    }

    /// The class probabilities, `(n, 10)`.
    pub fn probabilities(&self, images: &Tensor) -> Result<Tensor> {
        candle_nn::ops::softmax(&self.forward(images)?, D::Minus1)
    }
}

/// The number of correct predictions among `logits` `(n, 10)` for `labels` `(n,)` (u32).
pub fn correct(logits: &Tensor, labels: &Tensor) -> Result<usize> {
    let hits = logits
        .argmax(D::Minus1)?
        .eq(labels)?
        .to_dtype(DType::F32)?
        .sum_all()?;
    Ok(hits.to_scalar::<f32>()? as usize)
}
