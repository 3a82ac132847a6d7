//! `leaky train cnn` and `leaky train gan`: train the classifier or the GAN on MNIST digits.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use leaky::Activation;
use leaky_lab::checkpoint::Kind;
use leaky_lab::cnn::{Cnn, Ops};
use leaky_lab::dataset::{self, Split};
use leaky_lab::gan::Generator;
use leaky_lab::measure::Measure;
use leaky_lab::run_folder::{RunFolder, Start};
use leaky_lab::score::{CONFIDENCE, ClassifierScore, classifier_score, score_pixels};
use leaky_lab::train_cnn::{self, CnnResume, CnnSettings, train_cnn};
use leaky_lab::train_gan::{self, GanResume, GanSettings, train_gan};

use crate::checkpoints::{self, print_notes};
use crate::curves;
use crate::error::CliError;
use crate::progress::{CnnBars, GanBar};

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
    /// `base` with the options that were given in place of its values.
    pub fn apply(&self, base: CnnSettings) -> CnnSettings {
        CnnSettings {
            batch: self.batch.unwrap_or(base.batch),
            lr: self.lr.unwrap_or(base.lr),
            lr_decay: self.lr_decay.unwrap_or(base.lr_decay),
            max_shift: self.max_shift.unwrap_or(base.max_shift),
            bias_init: self.bias_init.or(base.bias_init),
            measure: match (self.no_measure, self.measure_every) {
                (true, _) => Measure::Off,
                (false, Some(k)) => Measure::Every(k),
                (false, None) => base.measure,
            },
            ..base
        }
    }
}

/// Checks the measuring interval against the run's steps on `data`, before anything starts.
pub fn check_measure(settings: &CnnSettings, data: &Split) -> Result<(), CliError> {
    settings
        .measure
        .interval(settings.steps(data.train.len()))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(())
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
/// How many generated digits the classifier score judges.
const SCORE_SAMPLES: usize = 1000;
/// The seed of the noise behind the classifier score.
const SCORE_SEED: u64 = 12_345;

/// Runs `leaky train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    match &args.model {
        Model::Cnn(args) => run_cnn(args),
        Model::Gan(args) => run_gan(args),
    }
}

fn run_cnn(args: &CnnArgs) -> Result<(), CliError> {
    let data = load_data(args.options.data.as_deref())?;
    let out = RunFolder::claim(
        &args.out,
        start(args.resume, args.overwrite),
        train_cnn::previous_run,
    )?;
    let resume = args
        .resume
        .then(|| CnnResume::load(&args.out))
        .transpose()?;
    print_notes(resume.as_ref().and_then(CnnResume::note));
    let base = match &resume {
        Some(resume) => resume.settings.clone(),
        None => CnnSettings::default(),
    };
    let settings = args.options.apply(CnnSettings {
        activation: args.activation.unwrap_or(base.activation),
        epochs: args
            .epochs
            .unwrap_or(if resume.is_some() { 0 } else { base.epochs }),
        seed: args.seed.unwrap_or(base.seed),
        ops: match args.candle_ops {
            None => Ops::Fused,
            Some(CandleOps::Activations) => Ops::CandleActivations,
            Some(CandleOps::All) => Ops::Candle,
        },
        ..base
    });
    check_measure(&settings, &data)?;
    println!(
        "training a CNN with {}{} on {}, {} epochs, batch {}, lr {} (x{} per epoch), shifts up to {} px, seed {}{}",
        settings.activation,
        match settings.ops {
            Ops::Fused => "",
            Ops::CandleActivations => " (candle's own activation op)",
            Ops::Candle => " (candle's own ops)",
        },
        data.source,
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
    let metrics = train_cnn(&settings, &data, &out, resume, &mut CnnBars::new())?;
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

fn run_gan(args: &GanArgs) -> Result<(), CliError> {
    // Load the classifier first: a bad checkpoint should stop the run before it starts.
    let classifier = match &args.classifier {
        Some(path) => Some(load_classifier(path)?),
        None if Path::new(DEFAULT_CLASSIFIER).is_file() => {
            Some(load_classifier(Path::new(DEFAULT_CLASSIFIER))?)
        }
        None => None,
    };
    let data = load_data(args.data.as_deref())?;
    let out = RunFolder::claim(
        &args.out,
        start(args.resume, args.overwrite),
        train_gan::previous_run,
    )?;
    let resume = args
        .resume
        .then(|| GanResume::load(&args.out))
        .transpose()?;
    print_notes(resume.iter().flat_map(GanResume::notes));
    let base = match &resume {
        Some(resume) => resume.settings.clone(),
        None => GanSettings::default(),
    };
    let done = resume.as_ref().map_or(0, |r| r.settings.steps);
    let settings = GanSettings {
        g_activation: args.g_activation.unwrap_or(base.g_activation),
        d_activation: args.d_activation.unwrap_or(base.d_activation),
        steps: args
            .steps
            .unwrap_or(if resume.is_some() { 0 } else { base.steps }),
        batch: args.batch.unwrap_or(base.batch),
        lr: args.lr.unwrap_or(base.lr),
        channels: args.channels.unwrap_or(base.channels),
        latent: args.latent.unwrap_or(base.latent),
        conditional: base.conditional && !args.unconditional,
        sample_every: args.sample_every.unwrap_or(base.sample_every),
        seed: args.seed.unwrap_or(base.seed),
    };
    println!(
        "training a{} GAN (generator {}, discriminator {}) on the training part of {}, {} steps, batch {}, lr {}, seed {}",
        if settings.conditional {
            " conditional"
        } else {
            "n unconditional"
        },
        settings.g_activation,
        settings.d_activation,
        data.source,
        settings.steps,
        settings.batch,
        settings.lr,
        settings.seed
    );
    let mut bar = GanBar::new(settings.steps, done);
    let result = train_gan(&settings, &data, &out, resume, &mut bar);
    bar.finish();
    let mut metrics = result?;
    if let Some(last) = metrics.losses.last() {
        println!(
            "step {}: D loss {:.3}, G loss {:.3}",
            last.step, last.d_loss, last.g_loss
        );
    }
    let generator = Generator::load(&checkpoints::load(
        &args.out.join(train_gan::GENERATOR_FILE),
        Kind::Generator,
    )?)?;
    match classifier {
        Some((path, cnn)) => {
            let score = classifier_score(&generator, &cnn, SCORE_SAMPLES, SCORE_SEED)?;
            let real = data.test.len().min(SCORE_SAMPLES);
            let pixels: Vec<u8> = (0..real)
                .flat_map(|i| data.test.image(i).iter().copied())
                .collect();
            let labels = &data.test.labels()[..real];
            let reference = score_pixels(
                &cnn,
                &pixels,
                generator.config().conditional.then_some(labels),
            )?;
            println!("classifier score by {}:", path.display());
            print_score("generated digits", &score);
            print_score("real held-out digits", &reference);
            metrics.classifier_score = Some(score);
            metrics.real_digits_score = Some(reference);
            leaky_lab::metrics::write_json(&args.out.join(train_gan::METRICS_FILE), &metrics)?;
        }
        None => println!(
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

fn load_classifier(path: &Path) -> Result<(PathBuf, Cnn), CliError> {
    let cnn = Cnn::load(&checkpoints::load(path, Kind::Cnn)?)?;
    Ok((path.to_path_buf(), cnn))
}

pub(crate) fn load_data(dir: Option<&Path>) -> Result<Split, CliError> {
    Ok(match dir {
        Some(dir) => dataset::mnist_dir(dir)?,
        None => dataset::embedded()?,
    })
}

/// What `--resume` and `--overwrite` ask of the output directory's previous run.
pub(crate) fn start(resume: bool, overwrite: bool) -> Start {
    match (resume, overwrite) {
        (true, _) => Start::Resume,
        (false, true) => Start::Overwrite,
        (false, false) => Start::Fresh,
    }
}

/// A count of at least 1 (epochs, steps, batch size).
pub(crate) fn count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is not a whole number")),
    }
}

/// A learning rate: a finite number above 0 and at most 1.
pub(crate) fn learning_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(lr) if lr.is_finite() && lr > 0.0 && lr <= 1.0 => Ok(lr),
        Ok(lr) => Err(format!("must be above 0 and at most 1, got {lr}")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}

/// An initial bias: a finite number of magnitude at most 100.
pub(crate) fn bias(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(b) if b.is_finite() && b.abs() <= 100.0 => Ok(b),
        Ok(b) => Err(format!("must be a finite number from -100 to 100, got {b}")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}

/// A per-epoch learning rate factor: above 0 and at most 1.
pub(crate) fn decay(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        Ok(f) => Err(format!("must be above 0 and at most 1, got {f}")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}
