//! The GAN's training job: [`GanJob`].

use std::path::PathBuf;

use leaky::Activation;

use super::{Notes, load_checkpoint, load_data};
use crate::LabError;
use crate::files::checkpoint::Kind;
use crate::files::metrics::write_json;
use crate::files::run_folder::{RunFolder, Start};
use crate::models::cnn::Cnn;
use crate::models::gan::Generator;
use crate::training::score::{classifier_score, score_pixels};
use crate::training::train_gan::{
    self, GanMetrics, GanProgress, GanResume, GanSettings, train_gan,
};

/// How many generated digits the classifier score judges (and real held-out digits beside
/// them).
pub const SCORE_SAMPLES: usize = 1000;
/// The seed of the noise behind the classifier score.
pub const SCORE_SEED: u64 = 12_345;

/// The settings a job changes: each given one replaces the default, or, when the job resumes a
/// run, the run's own value (a resumed run must then ask for more `steps` than it trained).
#[derive(Clone, Debug, Default)]
pub struct GanChanges {
    /// The generator's activation.
    pub g_activation: Option<Activation>,
    /// The discriminator's activation.
    pub d_activation: Option<Activation>,
    /// The total number of steps.
    pub steps: Option<usize>,
    /// Real digits per step.
    pub batch: Option<usize>,
    /// Adam's learning rate.
    pub lr: Option<f64>,
    /// The base channel count.
    pub channels: Option<usize>,
    /// The size of the noise input.
    pub latent: Option<usize>,
    /// Whether the networks are told the digit.
    pub conditional: Option<bool>,
    /// Steps between sample grids and checkpoints.
    pub sample_every: Option<usize>,
    /// The seed.
    pub seed: Option<u64>,
}

impl GanChanges {
    /// `base` with the given settings in place of its values.
    pub fn apply(&self, base: GanSettings) -> GanSettings {
        GanSettings {
            g_activation: self.g_activation.unwrap_or(base.g_activation),
            d_activation: self.d_activation.unwrap_or(base.d_activation),
            steps: self.steps.unwrap_or(base.steps),
            batch: self.batch.unwrap_or(base.batch),
            lr: self.lr.unwrap_or(base.lr),
            channels: self.channels.unwrap_or(base.channels),
            latent: self.latent.unwrap_or(base.latent),
            conditional: self.conditional.unwrap_or(base.conditional),
            sample_every: self.sample_every.unwrap_or(base.sample_every),
            seed: self.seed.unwrap_or(base.seed),
        }
    }
}

/// Follows a [`GanJob`]: its notes, its settings once known, and its steps.
pub trait GanReport: GanProgress + Notes {
    /// The run starts with `settings` on the digits named `data`, `done` steps already trained
    /// (a resumed run's).
    fn starting(&mut self, settings: &GanSettings, data: &str, done: usize);
}

/// Trains the GAN into a run folder (sample grids, both checkpoints, `metrics.json`), then, if
/// it has a classifier, scores the generator's digits and, for a ceiling, as many real held-out
/// digits, and adds both scores to `metrics.json`.
#[derive(Clone, Debug)]
pub struct GanJob {
    /// The settings that differ from the defaults (or from the resumed run's).
    pub changes: GanChanges,
    /// A classifier checkpoint (from [`super::CnnJob`]) to score the digits with.
    pub classifier: Option<PathBuf>,
    /// Full MNIST's directory, or `None` for the embedded digits.
    pub data: Option<PathBuf>,
    /// The run folder.
    pub out: PathBuf,
    /// What to do with a run the folder already holds.
    pub start: Start,
}

impl GanJob {
    /// A fresh run with the default settings on the embedded digits, into `out`, not scored.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        GanJob {
            changes: GanChanges::default(),
            classifier: None,
            data: None,
            out: out.into(),
            start: Start::Fresh,
        }
    }

    /// Loads the classifier first (a bad one stops the job before it trains), then claims the
    /// folder, resumes if asked, trains and scores; returns the metrics as written.
    pub fn run(&self, report: &mut dyn GanReport) -> Result<GanMetrics, LabError> {
        let classifier = match &self.classifier {
            Some(path) => Some(Cnn::load(&load_checkpoint(path, Kind::Cnn, report)?)?),
            None => None,
        };
        let data = load_data(self.data.as_deref())?;
        let folder = RunFolder::claim(&self.out, self.start, train_gan::previous_run)?;
        let resume = match self.start {
            Start::Resume => Some(GanResume::load(&self.out)?),
            Start::Fresh | Start::Overwrite => None,
        };
        for note in resume.iter().flat_map(GanResume::notes) {
            report.note(&note);
        }
        let (base, done) = match &resume {
            // Its `steps` are those done: without more asked for, training refuses.
            Some(resume) => (resume.settings.clone(), resume.settings.steps),
            None => (GanSettings::default(), 0),
        };
        let settings = self.changes.apply(base);
        report.starting(&settings, &data.source, done);
        let mut metrics = train_gan(&settings, &data, &folder, resume, report)?;
        let Some(classifier) = classifier else {
            return Ok(metrics);
        };
        let generator = Generator::load(&load_checkpoint(
            &self.out.join(train_gan::GENERATOR_FILE),
            Kind::Generator,
            report,
        )?)?;
        let real = data.test.len().min(SCORE_SAMPLES);
        let pixels: Vec<u8> = (0..real)
            .flat_map(|i| data.test.image(i).iter().copied())
            .collect();
        let labels = &data.test.labels()[..real];
        let conditional = generator.config().conditional;
        metrics.classifier_score = Some(classifier_score(
            &generator,
            &classifier,
            SCORE_SAMPLES,
            SCORE_SEED,
        )?);
        metrics.real_digits_score = Some(score_pixels(
            &classifier,
            &pixels,
            conditional.then_some(labels),
        )?);
        write_json(&self.out.join(train_gan::METRICS_FILE), &metrics)?;
        Ok(metrics)
    }
}
