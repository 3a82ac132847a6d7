//! The jobs, as a front end runs them: the settings they start with (changes over defaults or
//! over the run resumed), what they refuse, and what they write.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use leaky::Activation;
use leaky_lab::LabError;
use leaky_lab::data::dataset::Split;
use leaky_lab::experiments::compare::{
    CompareProgress, CompareSettings, InProcess, Outcome, PlannedRun,
};
use leaky_lab::experiments::shard::Shard;
use leaky_lab::files::run_folder::Start;
use leaky_lab::jobs::{
    CnnJob, CnnReport, CompareJob, CompareReport, DiagnoseJob, GanJob, GanReport, Notes,
};
use leaky_lab::training::train_cnn::{CnnProgress, CnnSettings, EpochRecord};
use leaky_lab::training::train_gan::{GanProgress, GanSettings};
use leaky_lab::units::measure::Measure;

/// Records what a job reports.
#[derive(Default)]
struct Recorder {
    notes: Vec<String>,
    /// The settings each start reported, with the data's name.
    cnn_starts: Vec<(CnnSettings, String)>,
    gan_starts: Vec<(GanSettings, usize)>,
    epochs: Vec<usize>,
    steps: usize,
    compare_runs: Vec<usize>,
}

impl Notes for Recorder {
    fn note(&mut self, note: &str) {
        self.notes.push(note.to_string());
    }
}

impl CnnProgress for Recorder {
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _batches: usize) {}
    fn batch_done(&mut self, _loss: f32, _images: usize) {}
    fn epoch_done(&mut self, record: &EpochRecord) {
        self.epochs.push(record.epoch);
    }
}

impl CnnReport for Recorder {
    fn starting(&mut self, settings: &CnnSettings, data: &str) {
        self.cnn_starts.push((settings.clone(), data.to_string()));
    }
}

impl GanProgress for Recorder {
    fn step_done(&mut self, _step: usize, _d_loss: f32, _g_loss: f32) {
        self.steps += 1;
    }
    fn saved(&mut self, _step: usize, _grid: &Path) {}
}

impl GanReport for Recorder {
    fn starting(&mut self, settings: &GanSettings, _data: &str, done: usize) {
        self.gan_starts.push((settings.clone(), done));
    }
}

impl CompareReport for Recorder {
    fn starting(&mut self, _settings: &CompareSettings, _shard: Shard, _data: &str, runs: usize) {
        self.compare_runs.push(runs);
    }
}

impl CompareProgress for Recorder {
    fn run_started(&mut self, _run: &PlannedRun, _position: usize, _total: usize) {}
    fn run_done(&mut self, _run: &PlannedRun, _outcome: &Outcome) {}
}

/// 32 training and 16 held-out digits as MNIST files in `dir/mnist`.
fn mnist(dir: &Path) -> PathBuf {
    let path = dir.join("mnist");
    common::small_mnist(&path, 32, 16);
    path
}

/// A CNN job of `epochs` epochs on the digits in `data`, into `out`.
fn cnn_job(data: &Path, out: &Path, epochs: Option<usize>, start: Start) -> CnnJob {
    let mut job = CnnJob::new(out);
    job.data = Some(data.to_path_buf());
    job.changes.epochs = epochs;
    job.start = start;
    job
}

#[test]
fn a_cnn_job_applies_its_changes_and_a_resumed_one_keeps_the_runs_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist(dir.path());
    let out = dir.path().join("cnn");
    let mut job = cnn_job(&data, &out, Some(1), Start::Fresh);
    job.changes.activation = Some(Activation::Relu);
    job.changes.batch = Some(8);
    let mut report = Recorder::default();
    let metrics = job.run(&mut report).unwrap();
    assert_eq!(metrics.epochs.len(), 1);
    assert_eq!(report.epochs, [1]);
    let (started, source) = &report.cnn_starts[0];
    assert_eq!(
        (
            started.activation,
            started.batch,
            started.epochs,
            started.lr
        ),
        (Activation::Relu, 8, 1, CnnSettings::default().lr)
    );
    assert!(source.contains("mnist"), "{source}");
    assert!(out.join("metrics.json").is_file() && out.join("model.safetensors").is_file());

    // A fresh job refuses the folder now; a resumed one keeps ReLU and batch 8 unless changed.
    let err = cnn_job(&data, &out, Some(2), Start::Fresh)
        .run(&mut Recorder::default())
        .unwrap_err();
    assert!(matches!(err, LabError::Occupied { .. }), "{err}");
    let mut report = Recorder::default();
    let metrics = cnn_job(&data, &out, Some(2), Start::Resume)
        .run(&mut report)
        .unwrap();
    assert_eq!(metrics.epochs.len(), 2);
    assert_eq!(report.epochs, [2]);
    let (started, _) = &report.cnn_starts[0];
    assert_eq!((started.activation, started.batch), (Activation::Relu, 8));
    let err = cnn_job(&data, &out, None, Start::Resume)
        .run(&mut Recorder::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            LabError::AlreadyTrained {
                done: 2,
                unit: "epochs"
            }
        ),
        "{err}"
    );

    // The classifier can be diagnosed.
    let diagnosed = DiagnoseJob {
        checkpoint: out.join("model.safetensors"),
        data: Some(data),
        batch: 4,
    }
    .run(&mut Recorder::default())
    .unwrap();
    assert_eq!(diagnosed.activation, "relu");
    assert_eq!(diagnosed.diagnosis.examples, 16);
    assert_eq!(diagnosed.diagnosis.gradient_batch, 4);
}

#[test]
fn a_measuring_interval_longer_than_the_run_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist(dir.path());
    let mut job = cnn_job(&data, &dir.path().join("cnn"), Some(1), Start::Fresh);
    job.changes.measure = Some(Measure::Every(3));
    let mut report = Recorder::default();
    let err = job.run(&mut report).unwrap_err();
    // 32 digits in batches of 16: 2 steps.
    assert!(
        matches!(err, LabError::MeasureInterval { every: 3, steps: 2 }),
        "{err}"
    );
    assert!(report.cnn_starts.is_empty());
    assert_eq!(
        err.to_string(),
        "measuring every 3 steps: the interval must be from 1 to the run's 2 training steps"
    );
}

#[test]
fn a_gan_job_is_scored_when_it_has_a_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist(dir.path());
    let classifier = dir.path().join("cnn");
    cnn_job(&data, &classifier, Some(1), Start::Fresh)
        .run(&mut Recorder::default())
        .unwrap();
    let gan = |out: &str, classifier: Option<PathBuf>| {
        let mut job = GanJob::new(dir.path().join(out));
        job.data = Some(data.clone());
        job.classifier = classifier;
        job.changes.steps = Some(2);
        job.changes.batch = Some(8);
        job.changes.channels = Some(4);
        job.changes.latent = Some(8);
        job
    };
    let mut report = Recorder::default();
    let metrics = gan("scored", Some(classifier.join("model.safetensors")))
        .run(&mut report)
        .unwrap();
    assert_eq!(report.steps, 2);
    assert_eq!(report.gan_starts[0].0.channels, 4);
    assert_eq!(report.gan_starts[0].1, 0);
    let generated = metrics.classifier_score.unwrap();
    let real = metrics.real_digits_score.unwrap();
    assert_eq!((generated.samples, real.samples), (1000, 16));
    let written: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("scored/metrics.json")).unwrap()).unwrap();
    assert_eq!(written["classifier_score"]["samples"], 1000);
    assert_eq!(written["real_digits_score"]["samples"], 16);

    let metrics = gan("unscored", None).run(&mut Recorder::default()).unwrap();
    assert!(metrics.classifier_score.is_none() && metrics.real_digits_score.is_none());

    // A classifier that is not one stops the job before it trains or claims its folder.
    let err = gan("bad", Some(dir.path().join("scored/generator.safetensors")))
        .run(&mut Recorder::default())
        .unwrap_err();
    assert!(matches!(err, LabError::Checkpoint(_)), "{err}");
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn a_compare_job_picks_its_folder_and_trains_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist(dir.path());
    let job = |shard: Shard, out: Option<PathBuf>, stress: bool| CompareJob {
        settings: CompareSettings {
            activations: vec![Activation::Relu, Activation::Tanh],
            seeds: vec![1, 2],
            base: CnnSettings {
                epochs: 1,
                ..CnnSettings::default()
            },
        },
        stress,
        shard,
        data: Some(data.clone()),
        out,
        start: Start::Fresh,
    };
    assert_eq!(
        job(Shard::WHOLE, None, false).folder(),
        Path::new("runs/compare")
    );
    assert_eq!(
        job(Shard::new(2, 3).unwrap(), None, true).folder(),
        Path::new("runs/compare-stress/shard-2-of-3")
    );
    let out = dir.path().join("sweep");
    let share = job(Shard::new(1, 3).unwrap(), Some(out.clone()), false);
    assert_eq!(share.folder(), out);
    let mut report = Recorder::default();
    let mut progress = Recorder::default();
    let comparison = share
        .run(
            &mut InProcess {
                progress: &mut progress,
            },
            &mut report,
        )
        .unwrap();
    // Runs 0 and 3 of the four are shard 1 of 3's.
    assert_eq!(report.compare_runs, [2]);
    let trained: Vec<(String, u64)> = comparison
        .runs
        .iter()
        .map(|r| (r.activation.clone(), r.seed))
        .collect();
    assert_eq!(trained, [("relu".into(), 1), ("tanh".into(), 2)]);
    assert!(out.join("compare.json").is_file());
}

#[test]
fn the_jobs_read_mnist_files_or_the_embedded_digits() {
    let dir = tempfile::tempdir().unwrap();
    let data = mnist(dir.path());
    let split: Split = leaky_lab::jobs::load_data(Some(&data)).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (32, 16));
    let embedded = leaky_lab::jobs::load_data(None).unwrap();
    assert_eq!(embedded.train.len() + embedded.test.len(), 10_000);
}
