//! `leaky train cnn` and `leaky train gan`: train the classifier or the GAN on MNIST digits
//! (the lab's [`CnnJob`] and [`GanJob`]), with progress bars, then print what was written.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use leaky::Activation;
use leaky_lab::jobs::{CnnChanges, CnnJob, CnnReport, GanChanges, GanJob, GanReport, Notes};
use leaky_lab::models::cnn::Ops;
use leaky_lab::training::score::{CONFIDENCE, ClassifierScore};
use leaky_lab::training::train_cnn::{self, CnnSettings};
use leaky_lab::training::train_gan::{self, GanSettings};

use crate::checkpoints::print_note;
use crate::cnn_options::CnnOptions;
use crate::curves;
use crate::error::CliError;
use crate::progress::{CnnBars, GanBar};
use crate::values::{count, learning_rate, start};

/// Arguments of `leaky train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(subcommand)]
    model: Model,
}

#[derive(Subcommand, Debug)]
enum Model {
    /// Train the digit classifier (a CNN); writes model.safetensors, metrics.json, curves.png.
    Cnn(CnnArgs),
    /// Train a DCGAN-style GAN, told the digit to draw unless --unconditional; writes sample grids,
    /// generator and discriminator checkpoints, metrics.json.
    Gan(GanArgs),
}

/// Arguments of `leaky train cnn`. Options left out take their defaults, or, with --resume,
/// the values of the run being resumed.
#[derive(Args, Debug)]
struct CnnArgs {
    /// The activation of the hidden layers [default: leaky_relu, α = 0.01].
    #[arg(long, value_name = "SPEC")]
    activation: Option<Activation>,
    /// The total number of epochs [default: 5].
    #[arg(long, value_parser = count)]
    epochs: Option<usize>,
    /// Seeds the initial weights, the order of the digits and their shifts [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    options: CnnOptions,
    /// The output directory.
    #[arg(long, value_name = "DIR", default_value = "runs/cnn")]
    out: PathBuf,
    /// Continue the run whose checkpoint is in the output directory, up to --epochs.
    #[arg(long)]
    resume: bool,
    /// Replace the run the output directory holds (without this, or --resume, a directory that
    /// holds a run is refused).
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// Compute with candle's own ops instead of ours, for comparing speed: `activations`
    /// (candle_nn::ops::leaky_relu, ...) or `all` (its convolutions and pooling too).
    #[arg(long, hide = true, value_name = "WHICH")]
    candle_ops: Option<CandleOps>,
}

/// Which of candle's own ops `--candle-ops` uses.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum CandleOps {
    /// Its activations; our convolutions and pooling.
    Activations,
    /// Its convolutions, activations and pooling.
    All,
}

/// Arguments of `leaky train gan`. Options left out take their defaults, or, with --resume,
/// the values of the run being resumed.
#[derive(Args, Debug)]
struct GanArgs {
    /// The generator's activation [default: relu, as in DCGAN].
    #[arg(long, value_name = "SPEC")]
    g_activation: Option<Activation>,
    /// The discriminator's activation [default: leaky_relu:alpha=0.2, as in DCGAN].
    #[arg(long, value_name = "SPEC")]
    d_activation: Option<Activation>,
    /// The total number of training steps [default: 3000].
    #[arg(long, value_parser = count)]
    steps: Option<usize>,
    /// Real digits per step [default: 64].
    #[arg(long, value_parser = count)]
    batch: Option<usize>,
    /// Adam's learning rate, for both networks [default: 0.001; DCGAN used 0.0002].
    #[arg(long, value_parser = learning_rate)]
    lr: Option<f64>,
    /// The base channel count of both networks (C and 2C channels) [default: 32].
    #[arg(long, value_parser = count)]
    channels: Option<usize>,
    /// The size of the generator's noise input [default: 64].
    #[arg(long, value_parser = count)]
    latent: Option<usize>,
    /// Write samples-STEP.png and the checkpoints every this many steps [default: 500].
    #[arg(long, value_parser = count, value_name = "K")]
    sample_every: Option<usize>,
    /// Seeds the initial weights, the order of the digits and the noise [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Train the plain DCGAN, which draws digits at random, instead of a conditional GAN, which
    /// is told the digit to draw (`leaky sample --digit 7`) and judges real digits with labels.
    #[arg(long)]
    unconditional: bool,
    /// A classifier checkpoint (from `leaky train cnn`) to score the generated digits with
    /// [default: runs/cnn/model.safetensors, if it exists].
    #[arg(long, value_name = "MODEL")]
    classifier: Option<PathBuf>,
    /// Read full MNIST from this directory (train-* IDX files, raw or .gz) instead of the
    /// embedded digits.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The output directory.
    #[arg(long, value_name = "DIR", default_value = "runs/gan")]
    out: PathBuf,
    /// Continue the run whose checkpoints are in the output directory, up to --steps.
    #[arg(long)]
    resume: bool,
    /// Replace the run the output directory holds (without this, or --resume, a directory that
    /// holds a run is refused).
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
}

/// The classifier `train gan` uses when --classifier is not given and this file exists.
const DEFAULT_CLASSIFIER: &str = "runs/cnn/model.safetensors";

/// Runs `leaky train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    match &args.model {
        Model::Cnn(args) => run_cnn(args),
        Model::Gan(args) => run_gan(args),
    }
}

fn run_cnn(args: &CnnArgs) -> Result<(), CliError> {
    let job = CnnJob {
        changes: CnnChanges {
            activation: args.activation,
            epochs: args.epochs,
            seed: args.seed,
            ops: args.candle_ops.map(|ops| match ops {
                CandleOps::Activations => Ops::CandleActivations,
                CandleOps::All => Ops::Candle,
            }),
            ..args.options.changes()
        },
        data: args.options.data.clone(),
        out: args.out.clone(),
        start: start(args.resume, args.overwrite),
    };
    let metrics = job.run(&mut CnnBars::new())?;
    let curves_path = args.out.join("curves.png");
    curves::draw(&metrics, &curves_path)?;
    println!(
        "wrote {}, {} and {}",
        args.out.join(train_cnn::MODEL_FILE).display(),
        args.out.join(train_cnn::METRICS_FILE).display(),
        curves_path.display()
    );
    Ok(())
}

impl Notes for CnnBars {
    fn note(&mut self, note: &str) {
        print_note(note);
    }
}

impl CnnReport for CnnBars {
    fn starting(&mut self, settings: &CnnSettings, data: &str) {
        println!(
            "training a CNN with {}{} on {data}, {} epochs, batch {}, lr {} (x{} per epoch), shifts up to {} px, seed {}{}",
            settings.activation,
            match settings.ops {
                Ops::Fused => "",
                Ops::CandleActivations => " (candle's own activation op)",
                Ops::Candle => " (candle's own ops)",
            },
            settings.epochs,
            settings.batch,
            settings.lr,
            settings.lr_decay,
            settings.max_shift,
            settings.seed,
            settings
                .bias_init
                .map_or(String::new(), |b| format!(", initial biases {b}"))
        );
    }
}

fn run_gan(args: &GanArgs) -> Result<(), CliError> {
    let classifier = args.classifier.clone().or_else(|| {
        Path::new(DEFAULT_CLASSIFIER)
            .is_file()
            .then(|| DEFAULT_CLASSIFIER.into())
    });
    let job = GanJob {
        changes: GanChanges {
            g_activation: args.g_activation,
            d_activation: args.d_activation,
            steps: args.steps,
            batch: args.batch,
            lr: args.lr,
            channels: args.channels,
            latent: args.latent,
            conditional: args.unconditional.then_some(false),
            sample_every: args.sample_every,
            seed: args.seed,
        },
        classifier: classifier.clone(),
        data: args.data.clone(),
        out: args.out.clone(),
        start: start(args.resume, args.overwrite),
    };
    let mut bar = GanBar::default();
    let result = job.run(&mut bar);
    bar.finish();
    let metrics = result?;
    if let Some(last) = metrics.losses.last() {
        println!(
            "step {}: D loss {:.3}, G loss {:.3}",
            last.step, last.d_loss, last.g_loss
        );
    }
    match (
        &classifier,
        &metrics.classifier_score,
        &metrics.real_digits_score,
    ) {
        (Some(path), Some(generated), Some(real)) => {
            println!("classifier score by {}:", path.display());
            print_score("generated digits", generated);
            print_score("real held-out digits", real);
        }
        _ => println!(
            "classifier score: skipped (train a classifier with `leaky train cnn`, or give --classifier MODEL)"
        ),
    }
    println!(
        "wrote {}, {}, {} and {}",
        args.out.join("samples.png").display(),
        args.out.join(train_gan::GENERATOR_FILE).display(),
        args.out.join(train_gan::DISCRIMINATOR_FILE).display(),
        args.out.join(train_gan::METRICS_FILE).display()
    );
    Ok(())
}

impl Notes for GanBar {
    fn note(&mut self, note: &str) {
        print_note(note);
    }
}

impl GanReport for GanBar {
    fn starting(&mut self, settings: &GanSettings, data: &str, done: usize) {
        println!(
            "training a{} GAN (generator {}, discriminator {}) on the training part of {data}, {} steps, batch {}, lr {}, seed {}",
            if settings.conditional {
                " conditional"
            } else {
                "n unconditional"
            },
            settings.g_activation,
            settings.d_activation,
            settings.steps,
            settings.batch,
            settings.lr,
            settings.seed
        );
        self.start(settings.steps, done);
    }
}

/// One line of the classifier score: the confident fraction, the classes, the Inception Score.
fn print_score(what: &str, score: &ClassifierScore) {
    println!(
        "  {what}: {:.1}% of {} recognised with confidence >= {CONFIDENCE} (per class 0-9: {:?}){}, Inception Score {:.2} of 10",
        100.0 * score.confident_fraction,
        score.samples,
        score.confident_per_class,
        intended(score),
        score.inception_score
    );
}

/// ", 91.0% as the digit asked for", when the digits had one.
pub(crate) fn intended(score: &ClassifierScore) -> String {
    score.intended_fraction.map_or(String::new(), |f| {
        format!(", {:.1}% as the digit asked for", 100.0 * f)
    })
}
