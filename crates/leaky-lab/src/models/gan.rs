//! A DCGAN-style generator and discriminator for 28x28 digits (Radford, Metz and Chintala, 2015):
//! transposed convolutions with batch norm in the generator, strided convolutions in the
//! discriminator, no pooling.
//!
//! ```text
//! generator:     z (n,L) [+ one-hot digit y (n,10)] → linear 2C·7·7 → BN → act → (n,2C,7,7)
//!                → convT 4x4/2, C → BN → act → (n,C,14,14) → convT 4x4/2, 1 → tanh → (n,1,28,28)
//! discriminator: (n,1,28,28) → conv 4x4/2, C → act → (n,C,14,14)
//!                → conv 4x4/2, 2C → BN → act → (n,2C,7,7) = h → linear 1 [+ ⟨embed(y), h⟩]
//!                (logit of "real")
//! ```
//!
//! A *conditional* pair (the bracketed parts) is told which digit to draw and to judge: the
//! generator reads the digit's one-hot code beside the noise (Mirza and Osindero, 2014), and the
//! discriminator adds the inner product of a learned per-digit vector with its features to its
//! logit (the projection discriminator of Miyato and Koyama, 2018), so that a "7" that looks like
//! a "1" is judged fake.

use candle_core::{Result, Tensor};
use candle_nn::{
    BatchNormConfig, Conv2dConfig, ConvTranspose2dConfig, Embedding, Linear, Module, ModuleT,
    VarBuilder, VarMap,
};
use leaky::Activation;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use crate::files::checkpoint::{Checkpoint, CheckpointError, MAX_WIDTH};
use crate::models::init::seeded_var_builder;
use leaky_candle::{BatchNorm, Conv2d, ConvTranspose2d, activate};

/// The shape of a [`Generator`] or a [`Discriminator`] and its activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GanConfig {
    /// The activation between layers.
    pub activation: Activation,
    /// The base channel count C (the layers have C and 2C channels).
    pub channels: usize,
    /// The size of the generator's input noise (unused by the discriminator).
    pub latent: usize,
    /// Whether the networks are told the digit: the generator draws the digit it is asked for,
    /// and the discriminator judges an image as that digit.
    pub conditional: bool,
}

/// The number of classes of a conditional GAN: the digits 0 to 9.
pub const DIGITS: usize = 10;

/// The digits a conditional generator is asked for when it draws `n`: `digit` every time, or
/// 0, 1, ..., 9, 0, 1, ... when `digit` is `None`.
pub fn asked_digits(n: usize, digit: Option<u8>) -> Vec<u8> {
    (0..n)
        .map(|i| digit.unwrap_or((i % DIGITS) as u8))
        .collect()
}

impl GanConfig {
    /// Writes the configuration into a checkpoint's metadata.
    pub fn store(&self, checkpoint: &mut Checkpoint) {
        checkpoint.set("activation", self.activation);
        checkpoint.set("channels", self.channels);
        checkpoint.set("latent", self.latent);
        checkpoint.set("conditional", self.conditional);
    }

    /// Reads the configuration from a checkpoint's metadata (the widths from 1 to
    /// [`MAX_WIDTH`]).
    pub fn read(checkpoint: &Checkpoint) -> std::result::Result<Self, CheckpointError> {
        Ok(GanConfig {
            activation: checkpoint.get("activation")?,
            channels: checkpoint.get_within("channels", 1..=MAX_WIDTH)?,
            latent: checkpoint.get_within("latent", 1..=MAX_WIDTH)?,
            // Checkpoints written before conditional GANs have no such key.
            conditional: checkpoint.get_optional("conditional")?.unwrap_or(false),
        })
    }

    /// The digits tensor `(n,)` (u32) to pass along with `n` images: `digit` for every image, or
    /// 0, 1, ..., 9, 0, 1, ... when `digit` is `None`; `None` for an unconditional GAN.
    pub fn digits(&self, n: usize, digit: Option<u8>) -> Result<Option<Tensor>> {
        match (self.conditional, digit) {
            (false, None) => Ok(None),
            (false, Some(_)) => {
                candle_core::bail!(
                    "this generator was trained without digits: it cannot draw a chosen one"
                )
            }
            (true, Some(d)) if usize::from(d) >= DIGITS => {
                candle_core::bail!("there is no digit {d}: digits are 0 to 9")
            }
            (true, _) => {
                let digits: Vec<u32> = asked_digits(n, digit).into_iter().map(u32::from).collect();
                Ok(Some(Tensor::from_vec(
                    digits,
                    n,
                    &candle_core::Device::Cpu,
                )?))
            }
        }
    }
}

const UPSAMPLE: ConvTranspose2dConfig = ConvTranspose2dConfig {
    padding: 1,
    output_padding: 0,
    stride: 2,
    dilation: 1,
};

fn downsample() -> Conv2dConfig {
    Conv2dConfig {
        padding: 1,
        stride: 2,
        ..Default::default()
    }
}

/// The generator: noise in, images in [-1, 1] out.
pub struct Generator {
    config: GanConfig,
    project: Linear,
    norm0: BatchNorm,
    up1: ConvTranspose2d,
    norm1: BatchNorm,
    up2: ConvTranspose2d,
}

impl Generator {
    /// Builds the layers with weights from `vb`.
    pub fn new(config: GanConfig, vb: VarBuilder) -> Result<Self> {
        let c = config.channels;
        Ok(Generator {
            config,
            project: candle_nn::linear_no_bias(
                config.latent + if config.conditional { DIGITS } else { 0 },
                2 * c * 49,
                vb.pp("project"),
            )?,
            norm0: BatchNorm::new(candle_nn::batch_norm(
                2 * c * 49,
                BatchNormConfig::default(),
                vb.pp("norm0"),
            )?),
            up1: ConvTranspose2d::new(candle_nn::conv_transpose2d_no_bias(
                2 * c,
                c,
                4,
                UPSAMPLE,
                vb.pp("up1"),
            )?)?,
            norm1: BatchNorm::new(candle_nn::batch_norm(
                c,
                BatchNormConfig::default(),
                vb.pp("norm1"),
            )?),
            up2: ConvTranspose2d::new(candle_nn::conv_transpose2d(
                c,
                1,
                4,
                UPSAMPLE,
                vb.pp("up2"),
            )?)?,
        })
    }

    /// A new generator with weights drawn from `seed`, its variables in `varmap`.
    pub fn seeded(config: GanConfig, varmap: &VarMap, seed: u64) -> Result<Self> {
        Generator::new(config, seeded_var_builder(varmap, seed))
    }

    /// The generator saved in a checkpoint, ready to draw digits.
    pub fn load(checkpoint: &Checkpoint) -> std::result::Result<Self, CheckpointError> {
        let config = GanConfig::read(checkpoint)?;
        let varmap = VarMap::new();
        Generator::new(config, checkpoint.var_builder(&varmap))
            .map_err(|e| checkpoint.invalid(e.to_string()))
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &GanConfig {
        &self.config
    }

    /// Images `(n, 1, 28, 28)` in [-1, 1] from noise `(n, latent)` and, for a conditional
    /// generator, the digits to draw `(n,)` (u32, from [`GanConfig::digits`]). `train` selects
    /// batch statistics (and updates the running ones) rather than the running statistics.
    pub fn forward_t(&self, z: &Tensor, digits: Option<&Tensor>, train: bool) -> Result<Tensor> {
        let act = &self.config.activation;
        let c = self.config.channels;
        check_digits(&self.config, digits)?;
        let input = match digits {
            Some(digits) => Tensor::cat(
                &[
                    z,
                    &candle_nn::encoding::one_hot(digits.clone(), DIGITS, 1f32, 0f32)?,
                ],
                1,
            )?,
            None => z.clone(),
        };
        let x = self
            .norm0
            .forward_t(&self.project.forward(&input)?, train)?;
        let x = activate(&x, act)?.reshape((z.dim(0)?, 2 * c, 7, 7))?;
        let x = activate(&self.norm1.forward_t(&self.up1.forward(&x)?, train)?, act)?;
        self.up2.forward(&x)?.tanh()
    }

    /// Standard normal noise `(n, latent)` drawn from `seed`.
    pub fn noise(&self, n: usize, seed: u64) -> Result<Tensor> {
        let mut rng = StdRng::seed_from_u64(seed);
        let values: Vec<f32> = (0..n * self.config.latent)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        Tensor::from_vec(values, (n, self.config.latent), &candle_core::Device::Cpu)
    }

    /// `n` digits drawn with noise from `seed`, as pixels 0..=255, 784 per digit. A conditional
    /// generator draws `digit`, or 0 to 9 in turn when `digit` is `None`; an unconditional one
    /// takes no `digit`.
    pub fn sample(&self, n: usize, seed: u64, digit: Option<u8>) -> Result<Vec<u8>> {
        let digits = self.config.digits(n, digit)?;
        let images = self.forward_t(&self.noise(n, seed)?, digits.as_ref(), false)?;
        to_pixels(&images)
    }
}

/// Fails unless `digits` are given exactly when the networks are conditional.
fn check_digits(config: &GanConfig, digits: Option<&Tensor>) -> Result<()> {
    match (config.conditional, digits.is_some()) {
        (true, false) => candle_core::bail!("a conditional GAN needs the digits"),
        (false, true) => candle_core::bail!("an unconditional GAN takes no digits"),
        _ => Ok(()),
    }
}

/// Images in [-1, 1] as pixels 0..=255 (rounded, clamped), in row-major order.
pub fn to_pixels(images: &Tensor) -> Result<Vec<u8>> {
    let values: Vec<f32> = images.flatten_all()?.to_vec1()?;
    Ok(values
        .iter()
        .map(|&v| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8)
        .collect())
}

/// The discriminator: images in [-1, 1] in, the logit that each is real out.
pub struct Discriminator {
    config: GanConfig,
    down1: Conv2d,
    down2: Conv2d,
    norm2: BatchNorm,
    classify: Linear,
    /// One vector per digit, for a conditional discriminator's projection term.
    project: Option<Embedding>,
}

impl Discriminator {
    /// Builds the layers with weights from `vb`.
    pub fn new(config: GanConfig, vb: VarBuilder) -> Result<Self> {
        let c = config.channels;
        Ok(Discriminator {
            config,
            down1: Conv2d::new(candle_nn::conv2d(1, c, 4, downsample(), vb.pp("down1"))?)?,
            down2: Conv2d::new(candle_nn::conv2d_no_bias(
                c,
                2 * c,
                4,
                downsample(),
                vb.pp("down2"),
            )?)?,
            norm2: BatchNorm::new(candle_nn::batch_norm(
                2 * c,
                BatchNormConfig::default(),
                vb.pp("norm2"),
            )?),
            classify: candle_nn::linear(2 * c * 49, 1, vb.pp("classify"))?,
            project: match config.conditional {
                true => Some(candle_nn::embedding(DIGITS, 2 * c * 49, vb.pp("project"))?),
                false => None,
            },
        })
    }

    /// A new discriminator with weights drawn from `seed`, its variables in `varmap`.
    pub fn seeded(config: GanConfig, varmap: &VarMap, seed: u64) -> Result<Self> {
        Discriminator::new(config, seeded_var_builder(varmap, seed))
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &GanConfig {
        &self.config
    }

    /// The logits `(n,)` that images `(n, 1, 28, 28)` are real (and, for a conditional
    /// discriminator, images of `digits` `(n,)`, u32).
    pub fn forward_t(
        &self,
        images: &Tensor,
        digits: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor> {
        check_digits(&self.config, digits)?;
        let act = &self.config.activation;
        let x = self.down1.forward_activated(images, act)?;
        let x = activate(&self.norm2.forward_t(&self.down2.forward(&x)?, train)?, act)?;
        let features = x.flatten_from(1)?;
        let logits = self.classify.forward(&features)?.squeeze(1)?;
        match (&self.project, digits) {
            (Some(project), Some(digits)) => {
                logits + (project.forward(digits)? * features)?.sum(1)?
            }
            _ => Ok(logits),
        }
    }
}

/// The mean binary cross-entropy of logits `x` against the label `target` (1 = real, 0 = fake,
/// or in between for smoothed labels): `softplus(x) - target·x`, with `softplus(x)` computed
/// stably as `max(x, 0) + ln(1 + e^-|x|)`.
pub fn binary_cross_entropy(x: &Tensor, target: f64) -> Result<Tensor> {
    let softplus = (x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
    (softplus - (x * target)?)?.mean_all()
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    #[test]
    fn binary_cross_entropy_matches_the_definition_and_stays_finite() {
        let xs = [-40.0_f32, -1.5, 0.0, 0.3, 60.0];
        for target in [0.0, 0.9, 1.0] {
            for &x in &xs {
                let tensor = Tensor::new(&[x], &Device::Cpu).unwrap();
                let got: f32 = binary_cross_entropy(&tensor, target)
                    .unwrap()
                    .to_scalar()
                    .unwrap();
                // -(t·ln σ(x) + (1-t)·ln(1-σ(x))), with ln σ(x) = -ln(1 + e^-x).
                let x = f64::from(x);
                let ln_sigmoid = |v: f64| -(-v).exp().ln_1p();
                let want = -(target * ln_sigmoid(x) + (1.0 - target) * ln_sigmoid(-x));
                assert!(
                    (f64::from(got) - want).abs() < 1e-5 * want.max(1.0),
                    "x={x}, t={target}: {got} vs {want}"
                );
            }
        }
    }
}
