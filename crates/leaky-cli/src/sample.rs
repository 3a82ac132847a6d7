//! `leaky sample`: draw digits from a trained generator into a PNG grid.

use std::path::PathBuf;

use clap::Args;
use leaky_lab::checkpoint::{Checkpoint, Kind};
use leaky_lab::cnn::Cnn;
use leaky_lab::gan::Generator;
use leaky_lab::images::write_grid;
use leaky_lab::score::{CONFIDENCE, score_pixels};

use crate::error::CliError;

/// The most digits one grid may hold.
const MAX_DIGITS: usize = 10_000;

/// Arguments of `leaky sample`.
#[derive(Args, Debug)]
pub struct SampleArgs {
    /// A generator checkpoint (generator.safetensors from `leaky train gan`).
    #[arg(long, value_name = "GENERATOR")]
    checkpoint: PathBuf,
    /// How many digits to draw.
    #[arg(short = 'n', long = "count", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=MAX_DIGITS as u64))]
    count: u64,
    /// The PNG file to write.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "PNG",
        default_value = "samples.png"
    )]
    output: PathBuf,
    /// Seeds the noise: the same seed draws the same digits.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A classifier checkpoint (model.safetensors from `leaky train cnn`): also print how many
    /// of the digits it recognises with confidence >= 0.9, and the Inception Score it gives them.
    #[arg(long, value_name = "MODEL")]
    classifier: Option<PathBuf>,
}

/// Runs `leaky sample`.
pub fn run(args: &SampleArgs) -> Result<(), CliError> {
    let generator = Generator::load(&Checkpoint::load(&args.checkpoint, Kind::Generator)?)?;
    let classifier = match &args.classifier {
        Some(path) => Some(Cnn::load(&Checkpoint::load(path, Kind::Cnn)?)?),
        None => None,
    };
    let count = args.count as usize;
    let pixels = generator
        .sample(count, args.seed)
        .map_err(leaky_lab::LabError::from)?;
    let columns = (count as f64).sqrt().ceil() as usize;
    write_grid(&args.output, &pixels, columns)?;
    println!("wrote {} digits to {}", count, args.output.display());
    if let Some(cnn) = classifier {
        let score = score_pixels(&cnn, &pixels)?;
        println!(
            "classifier score: {:.1}% of {count} digits recognised with confidence >= {CONFIDENCE} (per class 0-9: {:?}), Inception Score {:.2} of 10",
            100.0 * score.confident_fraction,
            score.confident_per_class,
            score.inception_score
        );
    }
    Ok(())
}
