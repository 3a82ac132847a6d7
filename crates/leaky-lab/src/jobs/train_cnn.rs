//! The classifier's training job: [`CnnJob`].

use std::path::PathBuf;

use leaky::Activation;

use super::{Notes, load_data};
use crate::LabError;
use crate::files::run_folder::{RunFolder, Start};
use crate::models::cnn::Ops;
use crate::training::train_cnn::{
    self, CnnMetrics, CnnProgress, CnnResume, CnnSettings, train_cnn,
};
use crate::units::measure::Measure;

/// The settings a job changes: each given one replaces the default, or, when the job resumes a
/// run, the run's own value (a resumed run must then ask for more `epochs` than it trained).
#[derive(Clone, Debug, Default)]
pub struct CnnChanges {
    /// The activation of the hidden layers.
    pub activation: Option<Activation>,
    /// The total number of epochs.
    pub epochs: Option<usize>,
    /// The seed.
    pub seed: Option<u64>,
    /// Digits per mini-batch.
    pub batch: Option<usize>,
    /// Adam's learning rate in the first epoch.
    pub lr: Option<f64>,
    /// The learning rate's factor per epoch.
    pub lr_decay: Option<f64>,
    /// The largest random shift of a training digit, in pixels.
    pub max_shift: Option<u32>,
    /// The initial bias of the activated layers.
    pub bias_init: Option<f32>,
    /// When the units are measured as the run trains.
    pub measure: Option<Measure>,
    /// Whose ops compute the network.
    pub ops: Option<Ops>,
}

impl CnnChanges {
    /// `base` with the given settings in place of its values.
    pub fn apply(&self, base: CnnSettings) -> CnnSettings {
        CnnSettings {
            activation: self.activation.unwrap_or(base.activation),
            epochs: self.epochs.unwrap_or(base.epochs),
            seed: self.seed.unwrap_or(base.seed),
            batch: self.batch.unwrap_or(base.batch),
            lr: self.lr.unwrap_or(base.lr),
            lr_decay: self.lr_decay.unwrap_or(base.lr_decay),
            max_shift: self.max_shift.unwrap_or(base.max_shift),
            bias_init: self.bias_init.or(base.bias_init),
            measure: self.measure.unwrap_or(base.measure),
            ops: self.ops.unwrap_or(base.ops),
        }
    }
}

/// Follows a [`CnnJob`]: its notes, its settings once known, and its epochs and batches.
pub trait CnnReport: CnnProgress + Notes {
    /// The run starts (or goes on) with `settings` on the digits named `data`.
    fn starting(&mut self, settings: &CnnSettings, data: &str);
}

/// Trains the classifier into a run folder: `model.safetensors` and `metrics.json`, rewritten
/// together after every epoch.
#[derive(Clone, Debug)]
pub struct CnnJob {
    /// The settings that differ from the defaults (or from the resumed run's).
    pub changes: CnnChanges,
    /// Full MNIST's directory, or `None` for the embedded digits.
    pub data: Option<PathBuf>,
    /// The run folder.
    pub out: PathBuf,
    /// What to do with a run the folder already holds.
    pub start: Start,
}

impl CnnJob {
    /// A fresh run with the default settings on the embedded digits, into `out`.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        CnnJob {
            changes: CnnChanges::default(),
            data: None,
            out: out.into(),
            start: Start::Fresh,
        }
    }

    /// Claims the folder, loads the digits and the run to resume (if asked), checks the
    /// settings, and trains; returns the run's metrics. A resumed run keeps its settings except
    /// those changed, and must be asked for more epochs than it has.
    pub fn run(&self, report: &mut dyn CnnReport) -> Result<CnnMetrics, LabError> {
        let data = load_data(self.data.as_deref())?;
        let folder = RunFolder::claim(&self.out, self.start, train_cnn::previous_run)?;
        let resume = match self.start {
            Start::Resume => Some(CnnResume::load(&self.out)?),
            Start::Fresh | Start::Overwrite => None,
        };
        let base = match &resume {
            Some(resume) => {
                if let Some(note) = resume.note() {
                    report.note(&note);
                }
                // Its `epochs` are those done: without more asked for, training refuses.
                resume.settings.clone()
            }
            None => CnnSettings::default(),
        };
        let settings = self.changes.apply(base);
        settings
            .measure
            .interval(settings.steps(data.train.len()))?;
        report.starting(&settings, &data.source);
        train_cnn(&settings, &data, &folder, resume, report)
    }
}
