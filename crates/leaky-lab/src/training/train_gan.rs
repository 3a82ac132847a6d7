//! Training the GAN: alternating Adam steps on the discriminator (real digits against generated
//! ones) and the generator (fooling the discriminator), with grids of samples and checkpoints
//! every few steps, written atomically, and resumption from those checkpoints.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use leaky::Activation;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::data::dataset::{Scale, Split, epoch_order};
use crate::data::images::write_grid;
use crate::error::LabError;
use crate::files::atomic;
use crate::files::checkpoint::{Checkpoint, Kind};
use crate::files::metrics::to_json;
use crate::files::run_folder::RunFolder;
use crate::models::gan::{DIGITS, Discriminator, GanConfig, Generator, binary_cross_entropy};
use crate::training::score::ClassifierScore;
use leaky_candle::adam::{Adam, AdamParams};

/// The generator checkpoint's file name in the output directory.
pub const GENERATOR_FILE: &str = "generator.safetensors";
/// The discriminator checkpoint's file name in the output directory.
pub const DISCRIMINATOR_FILE: &str = "discriminator.safetensors";
/// The metrics' file name in the output directory.
pub const METRICS_FILE: &str = "metrics.json";
/// How many digits a sample grid shows: 8 rows of 8, or of 10 for a conditional generator (one
/// column per digit, 0 to 9).
pub const GRID_ROWS: usize = 8;
/// The seed of the noise behind every sample grid: the same digits-to-be at every step.
const GRID_SEED: u64 = 7;
/// The discriminator's target for real digits: 0.9 rather than 1 (one-sided label smoothing,
/// Salimans et al. 2016), so that it does not grow overconfident.
const REAL_LABEL: f64 = 0.9;
/// Losses are recorded as means over this many steps.
const LOG_EVERY: usize = 25;

/// The settings of a GAN training run.
#[derive(Clone, Debug, PartialEq)]
pub struct GanSettings {
    /// The generator's activation (DCGAN: ReLU).
    pub g_activation: Activation,
    /// The discriminator's activation (DCGAN: LeakyReLU with α = 0.2).
    pub d_activation: Activation,
    /// The total number of steps (including those of a resumed run).
    pub steps: usize,
    /// Real (and generated) digits per step.
    pub batch: usize,
    /// Adam's learning rate, for both networks.
    pub lr: f64,
    /// The base channel count of both networks.
    pub channels: usize,
    /// The size of the generator's noise input.
    pub latent: usize,
    /// Whether both networks are told the digit (see [`crate::models::gan`]).
    pub conditional: bool,
    /// A sample grid and checkpoints are written every this many steps.
    pub sample_every: usize,
    /// Seeds the initial weights, the order of the digits and the noise.
    pub seed: u64,
}

impl Default for GanSettings {
    /// DCGAN's networks (ReLU in the generator, LeakyReLU(0.2) in the discriminator), made
    /// conditional; Adam with learning rate 1e-3 (DCGAN's 2e-4 draws fewer recognisable digits
    /// here: see the README) and β₁ = 0.5, batches of 64, 32 base channels and 64 noise
    /// dimensions, 3,000 steps.
    fn default() -> Self {
        GanSettings {
            g_activation: Activation::Relu,
            d_activation: Activation::LeakyRelu { alpha: 0.2 },
            steps: 3000,
            batch: 64,
            lr: 1e-3,
            channels: 32,
            latent: 64,
            conditional: true,
            sample_every: 500,
            seed: 1,
        }
    }
}

/// The mean losses over a stretch of steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The last step of the stretch (from 1).
    pub step: usize,
    /// The discriminator's mean loss (binary cross-entropy on real and generated digits, summed).
    pub d_loss: f64,
    /// The generator's mean loss (binary cross-entropy of its digits labelled real).
    pub g_loss: f64,
}

/// The content of `metrics.json`: the run's settings, the losses, and the classifier score.
#[derive(Clone, Debug, Serialize)]
pub struct GanMetrics {
    /// Always `"gan"`.
    pub model: &'static str,
    /// The generator's activation spec.
    pub g_activation: String,
    /// The discriminator's activation spec.
    pub d_activation: String,
    /// Where the digits came from (the GAN trains on the training part).
    pub data: String,
    /// Whether the networks were told the digit.
    pub conditional: bool,
    /// Digits per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// The seed.
    pub seed: u64,
    /// Mean losses, one record per stretch of steps.
    pub losses: Vec<StepRecord>,
    /// How a classifier judged the final generator's digits, when one was given.
    pub classifier_score: Option<ClassifierScore>,
    /// How the same classifier judged as many real held-out digits (the ceiling), when one was
    /// given.
    pub real_digits_score: Option<ClassifierScore>,
}

/// Follows the training as it goes (the command line shows a progress bar).
pub trait GanProgress {
    /// Step `step` (from 1) is done, with these losses.
    fn step_done(&mut self, step: usize, d_loss: f32, g_loss: f32);
    /// A sample grid and the checkpoints were written after step `step`.
    fn saved(&mut self, step: usize, grid: &Path);
}

/// A run to continue: the checkpoints in an output directory, with their settings.
pub struct GanResume {
    generator: Checkpoint,
    discriminator: Checkpoint,
    /// The run's settings, with `steps` = the steps done.
    pub settings: GanSettings,
    /// The data the run trained on (as [`Split::source`]).
    pub data: String,
}

impl GanResume {
    /// Reads `out/generator.safetensors` and `out/discriminator.safetensors`, which must be from
    /// the same step.
    pub fn load(out: &Path) -> Result<Self, LabError> {
        let generator = Checkpoint::load(&out.join(GENERATOR_FILE), Kind::Generator)?;
        let discriminator = Checkpoint::load(&out.join(DISCRIMINATOR_FILE), Kind::Discriminator)?;
        let g = GanConfig::read(&generator)?;
        let d = GanConfig::read(&discriminator)?;
        let steps: usize = generator.get("steps_done")?;
        if discriminator.get::<usize>("steps_done")? != steps {
            return Err(discriminator
                .invalid(format!(
                    "it is not from step {steps}, as the generator checkpoint is"
                ))
                .into());
        }
        let settings = GanSettings {
            g_activation: g.activation,
            d_activation: d.activation,
            steps,
            batch: generator.get("batch")?,
            lr: generator.get("lr")?,
            channels: g.channels,
            latent: g.latent,
            conditional: g.conditional,
            sample_every: generator.get("sample_every")?,
            seed: generator.get("seed")?,
        };
        let data = generator.get("data")?;
        Ok(GanResume {
            generator,
            discriminator,
            settings,
            data,
        })
    }

    /// The checkpoints' notes for the user, for those that could not be checked
    /// ([`Checkpoint::note`]).
    pub fn notes(&self) -> Vec<String> {
        [&self.generator, &self.discriminator]
            .into_iter()
            .filter_map(Checkpoint::note)
            .collect()
    }
}

/// The `train gan` run that `dir` holds, in words (its activations, seed and last step, from
/// its checkpoints, or else from its metrics), or `None` when it holds none of those files: what
/// [`crate::files::run_folder::RunFolder::claim`] needs to refuse replacing it.
pub fn previous_run(dir: &Path) -> Option<String> {
    if dir.join(GENERATOR_FILE).exists() || dir.join(DISCRIMINATOR_FILE).exists() {
        return Some(match GanResume::load(dir) {
            Ok(resume) => describe(
                &resume.settings.g_activation.to_string(),
                &resume.settings.d_activation.to_string(),
                resume.settings.seed,
                resume.settings.steps,
            ),
            Err(err) => format!("`train gan` checkpoints that cannot be read ({err})"),
        });
    }
    #[derive(Deserialize)]
    struct Recorded {
        g_activation: String,
        d_activation: String,
        seed: u64,
        losses: Vec<StepRecord>,
    }
    let metrics = dir.join(METRICS_FILE);
    let bytes = std::fs::read(&metrics).ok()?;
    Some(match serde_json::from_slice::<Recorded>(&bytes) {
        Ok(r) => describe(
            &r.g_activation,
            &r.d_activation,
            r.seed,
            r.losses.last().map_or(0, |l| l.step),
        ),
        Err(err) => {
            format!("a {METRICS_FILE} that is not the metrics of `leaky train gan` ({err})")
        }
    })
}

fn describe(generator: &str, discriminator: &str, seed: u64, steps: usize) -> String {
    format!(
        "a `train gan` run (generator {generator}, discriminator {discriminator}, seed {seed}, \
         step {steps} done)"
    )
}

/// The networks of a GAN being trained, with their variables and optimisers.
struct Gan {
    generator: Generator,
    g_vars: VarMap,
    g_adam: Adam,
    discriminator: Discriminator,
    d_vars: VarMap,
    d_adam: Adam,
}

/// Trains a GAN with `settings` on the training digits of `data`, writing sample grids
/// (`samples-STEP.png`), checkpoints and `metrics.json` into `out` every `sample_every` steps and
/// at the end (the checkpoints and the metrics together: a failed write leaves all three as
/// they were), and `samples.png` at the end; continues `resume` if given, whose settings must
/// match (except the number of steps, which must be larger). Returns the metrics, without
/// classifier scores.
pub fn train_gan(
    settings: &GanSettings,
    data: &Split,
    out: &RunFolder,
    resume: Option<GanResume>,
    progress: &mut dyn GanProgress,
) -> Result<GanMetrics, LabError> {
    let out = out.path();
    let mut gan = build(settings)?;
    let mut metrics = GanMetrics {
        model: "gan",
        g_activation: settings.g_activation.to_string(),
        d_activation: settings.d_activation.to_string(),
        data: data.source.clone(),
        conditional: settings.conditional,
        batch: settings.batch,
        lr: settings.lr,
        seed: settings.seed,
        losses: Vec::new(),
        classifier_score: None,
        real_digits_score: None,
    };
    let mut step = 0;
    if let Some(resume) = resume {
        check_resumable(settings, &data.source, &resume)?;
        restore(&mut gan, &resume.generator, &resume.discriminator)?;
        let history: String = resume.generator.get("history")?;
        metrics.losses = serde_json::from_str(&history).map_err(|e| {
            resume
                .generator
                .invalid(format!("the history is unreadable: {e}"))
        })?;
        step = resume.settings.steps;
    }
    let train = &data.train;
    let per_epoch = train.len() / settings.batch;
    if per_epoch == 0 {
        return Err(LabError::Settings(format!(
            "the batch size {} is larger than the {} training digits",
            settings.batch,
            train.len()
        )));
    }
    let (mut d_sum, mut g_sum, mut logged) = (0.0, 0.0, 0);
    while step < settings.steps {
        // Batches run through a fresh shuffle each epoch; a trailing partial batch is skipped.
        let epoch = step / per_epoch;
        let order = epoch_order(train.len(), settings.seed, epoch);
        let start = (step % per_epoch) * settings.batch;
        let batch = &order[start..start + settings.batch];
        let real = train.images_tensor(batch, Scale::Symmetric)?;
        let real_digits = match settings.conditional {
            true => Some(train.labels_tensor(batch)?),
            false => None,
        };
        step += 1;
        let noise_seed = settings
            .seed
            .wrapping_mul(1_000_003)
            .wrapping_add(step as u64);
        let (d_loss, g_loss) = train_step(&mut gan, &real, real_digits.as_ref(), noise_seed)?;
        progress.step_done(step, d_loss, g_loss);
        d_sum += f64::from(d_loss);
        g_sum += f64::from(g_loss);
        logged += 1;
        if step % LOG_EVERY == 0 || step == settings.steps {
            metrics.losses.push(StepRecord {
                step,
                d_loss: d_sum / f64::from(logged),
                g_loss: g_sum / f64::from(logged),
            });
            (d_sum, g_sum, logged) = (0.0, 0.0, 0);
        }
        if step % settings.sample_every == 0 || step == settings.steps {
            let grid = out.join(format!("samples-{step}.png"));
            write_sample_grid(&gan.generator, &grid)?;
            save(&gan, settings, &metrics, step, out)?;
            progress.saved(step, &grid);
        }
    }
    write_sample_grid(&gan.generator, &out.join("samples.png"))?;
    Ok(metrics)
}

/// Writes [`GRID_ROWS`] rows of digits drawn with the noise of [`GRID_SEED`]: 8 to a row, or
/// for a conditional generator 0 to 9.
fn write_sample_grid(generator: &Generator, path: &Path) -> Result<(), LabError> {
    let columns = match generator.config().conditional {
        true => DIGITS,
        false => 8,
    };
    write_grid(
        path,
        &generator.sample(GRID_ROWS * columns, GRID_SEED, None)?,
        columns,
    )?;
    Ok(())
}

fn build(settings: &GanSettings) -> Result<Gan, LabError> {
    let g_config = GanConfig {
        activation: settings.g_activation,
        channels: settings.channels,
        latent: settings.latent,
        conditional: settings.conditional,
    };
    let d_config = GanConfig {
        activation: settings.d_activation,
        ..g_config
    };
    let params = AdamParams {
        beta1: 0.5,
        ..AdamParams::with_lr(settings.lr)
    };
    let g_vars = VarMap::new();
    let generator = Generator::seeded(g_config, &g_vars, settings.seed)?;
    let d_vars = VarMap::new();
    let discriminator = Discriminator::seeded(d_config, &d_vars, settings.seed.wrapping_add(1))?;
    Ok(Gan {
        g_adam: Adam::new(&g_vars, params),
        d_adam: Adam::new(&d_vars, params),
        generator,
        g_vars,
        discriminator,
        d_vars,
    })
}

/// One discriminator step and one generator step on the same generated digits; the losses.
/// A conditional GAN sees the real digits' labels, and draws digits chosen uniformly at random.
fn train_step(
    gan: &mut Gan,
    real: &Tensor,
    real_digits: Option<&Tensor>,
    noise_seed: u64,
) -> Result<(f32, f32), LabError> {
    let n = real.dim(0)?;
    let noise = gan.generator.noise(n, noise_seed)?;
    let fake_digits = match real_digits {
        Some(_) => Some(random_digits(n, noise_seed)?),
        None => None,
    };
    let fake = gan
        .generator
        .forward_t(&noise, fake_digits.as_ref(), true)?;
    let d_real = gan.discriminator.forward_t(real, real_digits, true)?;
    let d_fake = gan
        .discriminator
        .forward_t(&fake.detach(), fake_digits.as_ref(), true)?;
    let d_loss =
        (binary_cross_entropy(&d_real, REAL_LABEL)? + binary_cross_entropy(&d_fake, 0.0)?)?;
    gan.d_adam.step(&d_loss.backward()?)?;
    let g_logits = gan
        .discriminator
        .forward_t(&fake, fake_digits.as_ref(), true)?;
    let g_loss = binary_cross_entropy(&g_logits, 1.0)?;
    gan.g_adam.step(&g_loss.backward()?)?;
    Ok((d_loss.to_scalar()?, g_loss.to_scalar()?))
}

/// `n` digits 0 to 9 drawn uniformly with a generator seeded by `!seed` (the noise's seed is
/// `seed`), as a u32 tensor.
fn random_digits(n: usize, seed: u64) -> candle_core::Result<Tensor> {
    let mut rng = StdRng::seed_from_u64(!seed);
    let digits: Vec<u32> = (0..n).map(|_| rng.random_range(0..DIGITS as u32)).collect();
    Tensor::from_vec(digits, n, &Device::Cpu)
}

/// A GAN's kind in words.
fn kind(conditional: bool) -> &'static str {
    match conditional {
        true => "conditional",
        false => "unconditional",
    }
}

fn check_resumable(settings: &GanSettings, data: &str, resume: &GanResume) -> Result<(), LabError> {
    let saved = &resume.settings;
    let checks = [
        (
            "the generator's activation",
            settings.g_activation.to_string(),
            saved.g_activation.to_string(),
        ),
        (
            "the discriminator's activation",
            settings.d_activation.to_string(),
            saved.d_activation.to_string(),
        ),
        (
            "the batch size",
            settings.batch.to_string(),
            saved.batch.to_string(),
        ),
        (
            "the learning rate",
            settings.lr.to_string(),
            saved.lr.to_string(),
        ),
        (
            "the channel count",
            settings.channels.to_string(),
            saved.channels.to_string(),
        ),
        (
            "the noise size",
            settings.latent.to_string(),
            saved.latent.to_string(),
        ),
        (
            "the sampling interval",
            settings.sample_every.to_string(),
            saved.sample_every.to_string(),
        ),
        (
            "the seed",
            settings.seed.to_string(),
            saved.seed.to_string(),
        ),
        (
            "the GAN's kind",
            kind(settings.conditional).to_string(),
            kind(saved.conditional).to_string(),
        ),
        ("the data", data.to_string(), resume.data.clone()),
    ];
    for (what, now, then) in checks {
        if now != then {
            return Err(LabError::Settings(format!(
                "cannot resume: {what} is {now}, but the checkpoints were trained with {then}"
            )));
        }
    }
    if settings.steps <= saved.steps {
        return Err(LabError::AlreadyTrained {
            done: saved.steps,
            unit: "steps",
        });
    }
    Ok(())
}

fn restore(
    gan: &mut Gan,
    generator: &Checkpoint,
    discriminator: &Checkpoint,
) -> Result<(), LabError> {
    generator.restore_vars("", &gan.g_vars)?;
    gan.g_adam
        .restore(generator.get("adam_steps")?, generator.tensors())?;
    discriminator.restore_vars("", &gan.d_vars)?;
    gan.d_adam
        .restore(discriminator.get("adam_steps")?, discriminator.tensors())?;
    Ok(())
}

/// Writes both checkpoints and `metrics.json`, together ([`atomic::write_together`]); should
/// the renames themselves fail between the two checkpoints, [`GanResume::load`] refuses a pair
/// from different steps.
fn save(
    gan: &Gan,
    settings: &GanSettings,
    metrics: &GanMetrics,
    step: usize,
    out: &Path,
) -> Result<(), LabError> {
    let history = serde_json::to_string(&metrics.losses).map_err(|e| LabError::Write {
        path: out.join(GENERATOR_FILE),
        source: e.into(),
    })?;
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::with_capacity(3);
    let parts: [(Kind, PathBuf, &GanConfig, &VarMap, &Adam); 2] = [
        (
            Kind::Generator,
            out.join(GENERATOR_FILE),
            gan.generator.config(),
            &gan.g_vars,
            &gan.g_adam,
        ),
        (
            Kind::Discriminator,
            out.join(DISCRIMINATOR_FILE),
            gan.discriminator.config(),
            &gan.d_vars,
            &gan.d_adam,
        ),
    ];
    for (kind, path, config, vars, adam) in parts {
        let mut checkpoint = Checkpoint::new(kind, &path);
        config.store(&mut checkpoint);
        checkpoint.set("steps_done", step);
        checkpoint.set("batch", settings.batch);
        checkpoint.set("lr", settings.lr);
        checkpoint.set("sample_every", settings.sample_every);
        checkpoint.set("seed", settings.seed);
        checkpoint.set("data", &metrics.data);
        checkpoint.set("adam_steps", adam.steps());
        if kind == Kind::Generator {
            checkpoint.set("history", &history);
        }
        checkpoint.add_vars("", vars);
        checkpoint.add_tensors(adam.state()?);
        files.push((path, checkpoint.to_bytes()?));
    }
    let metrics_path = out.join(METRICS_FILE);
    let metrics_json = to_json(&metrics_path, metrics)?;
    files.push((metrics_path, metrics_json));
    let files: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(path, bytes)| (path.as_path(), bytes.as_slice()))
        .collect();
    atomic::write_together(&files)
}
