//! `leaky classify`: the trained classifier's prediction for pictures of digits.

use std::path::PathBuf;

use clap::Args;
use leaky_lab::data::images::read_digit;
use leaky_lab::files::checkpoint::Kind;
use leaky_lab::models::cnn::Cnn;
use leaky_lab::training::score::classify_pixels;

use crate::checkpoints;
use crate::error::CliError;

/// Arguments of `leaky classify`.
#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// A classifier checkpoint (model.safetensors from `leaky train cnn`).
    #[arg(long, value_name = "MODEL")]
    checkpoint: PathBuf,
    /// Pictures of single digits (PNG; 28x28 greyscale like MNIST, or resized to it; dark ink on
    /// a light background is inverted).
    #[arg(value_name = "IMAGE", required = true)]
    images: Vec<PathBuf>,
}

/// Runs `leaky classify`: one line per picture, `PATH: DIGIT (probability P)`.
pub fn run(args: &ClassifyArgs) -> Result<(), CliError> {
    let cnn = Cnn::load(&checkpoints::load(&args.checkpoint, Kind::Cnn)?)?;
    let mut pixels = Vec::new();
    for path in &args.images {
        pixels.extend(read_digit(path)?);
    }
    let (probabilities, digits) = classify_pixels(&cnn, &pixels)?;
    for ((path, digit), p) in args.images.iter().zip(digits).zip(probabilities) {
        println!("{}: {digit} (probability {p:.3})", path.display());
    }
    Ok(())
}
