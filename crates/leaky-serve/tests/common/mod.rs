//! Run folders written with leaky-lab's own writers, for the experiments page's tests: a
//! `train cnn` run as the lab leaves it after some epochs and measurements, and a runs folder
//! holding a finished run, a sweep part-way, a run two levels down and an empty folder.

// Each test file uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use leaky::Activation;
use leaky_lab::experiments::compare::{self, Comparison, RunResult, RunStatus, run_name};
use leaky_lab::files::metrics::write_json;
use leaky_lab::files::progress::{Progress, StepLoss};
use leaky_lab::models::cnn::{LAYER_NAMES, Ops};
use leaky_lab::training::train_cnn::{CnnMetrics, EpochRecord, METRICS_FILE};
use leaky_lab::units::dead::LayerDeath;
use leaky_lab::units::measure::{LayerActivity, Measurement, StepRecord};

/// A measurement at `step`: the first `dead` units of each layer dead.
pub fn step_record(step: usize, accuracy: f64, dead: u32) -> StepRecord {
    StepRecord {
        step,
        accuracy,
        layers: LAYER_NAMES
            .iter()
            .zip([8, 16, 32])
            .map(|(layer, units)| LayerActivity {
                layer: layer.to_string(),
                units,
                dead: f64::from(dead) / units as f64,
                nearly_dead: f64::from(dead) / units as f64,
                zero_gradient: 0.0,
                dead_units: (0..dead).collect(),
            })
            .collect(),
    }
}

pub fn epoch_record(epoch: usize, accuracy: f64) -> EpochRecord {
    EpochRecord {
        epoch,
        train_loss: 1.0 / epoch as f64,
        train_accuracy: accuracy - 0.01,
        test_loss: 1.1 / epoch as f64,
        test_accuracy: accuracy,
        seconds: 10.0,
        dead: LAYER_NAMES
            .iter()
            .map(|layer| LayerDeath {
                layer: layer.to_string(),
                units: 8,
                dead: 0.125,
                nearly_dead: 0.25,
                negative: 0.5,
                mean: 0.0,
                std: 1.0,
            })
            .collect(),
    }
}

/// A `train cnn` run in `dir` with `done` of `epochs` epochs of 100 steps, measured every 50
/// steps, as the lab writes it: `metrics.json` after each epoch, `progress.json` at each
/// measurement (`extra` more of them in the epoch under way).
pub fn write_run(
    dir: &Path,
    activation: &str,
    seed: u64,
    done: usize,
    epochs: usize,
    extra: usize,
) {
    std::fs::create_dir_all(dir).unwrap();
    let steps: Vec<StepRecord> = (0..=2 * done)
        .map(|i| step_record(50 * i, 0.1 + 0.1 * i as f64, (i % 3) as u32))
        .collect();
    let metrics = CnnMetrics {
        model: "cnn",
        activation: activation.to_string(),
        data: "embedded".into(),
        batch: 16,
        lr: 1e-3,
        lr_decay: 0.5,
        max_shift: 1,
        seed,
        ops: Ops::Fused,
        bias_init: None,
        epochs: (1..=done)
            .map(|e| epoch_record(e, 0.9 + 0.01 * e as f64))
            .collect(),
        measurement: Measurement {
            measure_every: Some(50),
            measure_digits: 100,
            measure_seconds: 0.0,
            steps: steps.clone(),
            revival: Vec::new(),
        },
    };
    if done > 0 {
        write_json(&dir.join(METRICS_FILE), &metrics).unwrap();
    }
    let mut measured = steps;
    measured.extend((1..=extra).map(|i| step_record(100 * done + 50 * i, 0.5, 1)));
    let step = measured.last().unwrap().step;
    Progress {
        epoch: (step / 100 + 1).min(epochs),
        epochs,
        step,
        total_steps: 100 * epochs,
        losses: measured
            .iter()
            .skip(1)
            .map(|s| StepLoss {
                step: s.step,
                loss: 2.0 / s.step as f64,
                batches: 50,
            })
            .collect(),
        measured,
    }
    .write(dir)
    .unwrap();
}

/// The runs folder of the tests: a finished `train cnn` run (`cnn`), a sweep of two
/// activations with one run ended and one part-way (`sweep`), a run two levels down
/// (`group/deeper/run`), and an empty folder (`nothing`).
pub fn fixture() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    write_run(&root.path().join("cnn"), "relu", 1, 2, 2, 0);
    write_run(&root.path().join("group/deeper/run"), "tanh", 2, 1, 3, 1);
    std::fs::create_dir(root.path().join("nothing")).unwrap();
    let sweep = root.path().join("sweep");
    let activations: Vec<Activation> =
        vec![Activation::Relu, "leaky_relu:alpha=0.2".parse().unwrap()];
    let dirs: Vec<PathBuf> = activations
        .iter()
        .map(|a| sweep.join(compare::RUNS_DIR).join(run_name(a, 1)))
        .collect();
    write_run(&dirs[0], "relu", 1, 2, 2, 0);
    write_run(&dirs[1], "leaky_relu:alpha=0.2", 1, 1, 2, 1);
    let finished = leaky_lab::training::train_cnn::read_metrics(&dirs[0]).unwrap();
    let comparison = Comparison {
        data: "embedded".into(),
        stress: false,
        epochs: 2,
        batch: 16,
        lr: 1e-3,
        lr_decay: 0.5,
        max_shift: 1,
        bias_init: None,
        activations: activations.iter().map(|a| a.to_string()).collect(),
        seeds: vec![1],
        shard: None,
        summary: Vec::new(),
        runs: vec![RunResult {
            activation: "relu".into(),
            seed: 1,
            status: RunStatus::Done,
            command: None,
            out: dirs[0].clone(),
            epochs: finished.epochs,
            measurement: finished.measurement,
        }],
    };
    compare::write(&comparison, &sweep).unwrap();
    root
}
