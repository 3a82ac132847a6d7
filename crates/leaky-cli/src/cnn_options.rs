//! The CNN training options that `leaky train cnn` and `leaky compare` share.

use std::path::PathBuf;

use clap::Args;
use leaky_lab::jobs::CnnChanges;
use leaky_lab::units::measure::Measure;

use crate::values::{bias, count, decay, learning_rate};

/// The CNN training options of both `leaky train cnn` and `leaky compare`.
#[derive(Args, Debug)]
pub struct CnnOptions {
    /// Digits per mini-batch [default: 16].
    #[arg(long, value_parser = count)]
    batch: Option<usize>,
    /// Adam's learning rate in the first epoch [default: 0.001].
    #[arg(long, value_parser = learning_rate)]
    lr: Option<f64>,
    /// Multiply the learning rate by this after every epoch (1: constant) [default: 0.5].
    #[arg(long, value_name = "FACTOR", value_parser = decay)]
    lr_decay: Option<f64>,
    /// Move training digits by up to this many pixels at random (0: no augmentation) [default: 1].
    #[arg(long, value_name = "PIXELS", value_parser = clap::value_parser!(u32).range(0..=8))]
    max_shift: Option<u32>,
    /// Start the biases of the activated layers at this value instead of small random ones
    /// (negative values start units near death) [default: random; -2 with `compare --stress`].
    #[arg(long, value_name = "B", value_parser = bias, allow_hyphen_values = true)]
    bias_init: Option<f32>,
    /// Read full MNIST from this directory (train-* and t10k-* IDX files, raw or .gz) instead of
    /// the 10,000 embedded digits.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Measure the dead units every K training steps, from step 0, on the first 100 held-out
    /// digits (K from 1 to the run's steps) [default: about 40 measurements per run].
    #[arg(long, value_name = "K", value_parser = count)]
    measure_every: Option<usize>,
    /// Do not measure the units as the run trains.
    #[arg(long, conflicts_with = "measure_every")]
    no_measure: bool,
}

impl CnnOptions {
    /// The settings these options change (the activation, epochs, seed and ops are the
    /// commands' own).
    pub fn changes(&self) -> CnnChanges {
        CnnChanges {
            batch: self.batch,
            lr: self.lr,
            lr_decay: self.lr_decay,
            max_shift: self.max_shift,
            bias_init: self.bias_init,
            measure: match (self.no_measure, self.measure_every) {
                (true, _) => Some(Measure::Off),
                (false, Some(k)) => Some(Measure::Every(k)),
                (false, None) => None,
            },
            ..CnnChanges::default()
        }
    }
}
