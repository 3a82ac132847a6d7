//! `leaky sample`: draw digits from a trained generator into a PNG grid.

use std::path::PathBuf;

use clap::Args;
use leaky_lab::data::images::write_grid;
use leaky_lab::files::checkpoint::Kind;
use leaky_lab::models::cnn::Cnn;
use leaky_lab::models::gan::{DIGITS, Generator, asked_digits};
use leaky_lab::training::score::{CONFIDENCE, score_pixels};

use crate::checkpoints;
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
    /// Draw only this digit (a conditional generator only; by default it draws 0 to 9 in turn,
    /// ten to a row).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    digit: Option<u8>,
    /// A classifier checkpoint (model.safetensors from `leaky train cnn`): also print how many
    /// of the digits it recognises with confidence >= 0.9, and the Inception Score it gives them.
    #[arg(long, value_name = "MODEL")]
    classifier: Option<PathBuf>,
}

/// Runs `leaky sample`.
pub fn run(args: &SampleArgs) -> Result<(), CliError> {
    let generator = Generator::load(&checkpoints::load(&args.checkpoint, Kind::Generator)?)?;
    let classifier = match &args.classifier {
        Some(path) => Some(Cnn::load(&checkpoints::load(path, Kind::Cnn)?)?),
        None => None,
    };
    let count = args.count as usize;
    let conditional = generator.config().conditional;
    if args.digit.is_some() && !conditional {
        return Err(CliError::Usage(format!(
            "{} was trained without digits (`leaky train gan --unconditional`): it cannot draw a chosen digit; leave out --digit",
            args.checkpoint.display()
        )));
    }
    let pixels = generator
        .sample(count, args.seed, args.digit)
        .map_err(leaky_lab::LabError::from)?;
    let columns = match (conditional, args.digit) {
        (true, None) => DIGITS.min(count),
        _ => (count as f64).sqrt().ceil() as usize,
    };
    write_grid(&args.output, &pixels, columns)?;
    println!("wrote {} digits to {}", count, args.output.display());
    if let Some(cnn) = classifier {
        let asked = conditional.then(|| asked_digits(count, args.digit));
        let score = score_pixels(&cnn, &pixels, asked.as_deref())?;
        println!(
            "classifier score: {:.1}% of {count} digits recognised with confidence >= {CONFIDENCE} (per class 0-9: {:?}){}, Inception Score {:.2} of 10",
            100.0 * score.confident_fraction,
            score.confident_per_class,
            crate::train::intended(&score),
            score.inception_score
        );
    }
    Ok(())
}
