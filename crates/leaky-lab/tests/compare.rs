//! `compare`: every activation and seed trained, failures recorded without stopping the sweep,
//! the three reports consistent with the runs, and sweeps resumed and merged.

mod common;

use std::fs;

use leaky::Activation;
use leaky_lab::experiments::compare::{
    CompareProgress, CompareSettings, InProcess, Outcome, PlannedRun, RunStatus, Spread, compare,
    run_name,
};
use leaky_lab::experiments::shard::{self, Shard};
use leaky_lab::files::run_folder::Start;
use leaky_lab::training::train_cnn::{CnnProgress, CnnSettings, EpochRecord};
use leaky_lab::units::measure::Measure;

#[derive(Default)]
struct Recorder {
    started: Vec<(usize, usize, String, u64)>,
    done: Vec<String>,
    batches: usize,
}

impl CnnProgress for Recorder {
    fn epoch_started(&mut self, _: usize, _: usize, _: usize) {}
    fn batch_done(&mut self, _: f32, _: usize) {
        self.batches += 1;
    }
    fn epoch_done(&mut self, _: &EpochRecord) {}
}

impl CompareProgress for Recorder {
    fn run_started(&mut self, run: &PlannedRun, position: usize, total: usize) {
        let s = &run.settings;
        self.started
            .push((position, total, s.activation.to_string(), s.seed));
    }
    fn run_done(&mut self, run: &PlannedRun, _: &Outcome) {
        let s = &run.settings;
        self.done.push(format!("{} {}", s.activation, s.seed));
    }
}

/// Splits one CSV line into fields, honouring double quotes.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

#[test]
fn a_sweep_trains_every_pair_records_a_diverging_run_and_goes_on() {
    let data = common::small_split(48, 24);
    let out = tempfile::tempdir().unwrap();
    // A threshold that replaces every value ≤ 0 by 3e38 overflows the next layer: the loss is
    // not finite in the first batch.
    let exploding: Activation = "threshold:threshold=0,value=3e38".parse().unwrap();
    let settings = CompareSettings {
        activations: vec![Activation::Relu, exploding],
        seeds: vec![1, 2],
        base: CnnSettings {
            epochs: 2,
            batch: 16,
            ..CnnSettings::default()
        },
    };
    let mut progress = Recorder::default();
    let mut trainer = InProcess {
        progress: &mut progress,
    };
    let c = compare(
        &settings,
        false,
        Shard::WHOLE,
        &data,
        &common::folder(out.path()),
        Start::Fresh,
        &mut trainer,
    )
    .unwrap();

    assert_eq!(progress.started.len(), 4);
    assert_eq!(progress.started[3], (3, 4, exploding.to_string(), 2));
    assert_eq!(progress.done.len(), 4);
    assert_eq!(c.runs.len(), 4);
    for run in &c.runs {
        if run.activation == "relu" {
            assert_eq!(run.status, RunStatus::Done);
            assert_eq!(run.epochs.len(), 2);
            assert!(run.out.join("model.safetensors").is_file());
            // A run trained in this process has no command line to re-run it with.
            assert_eq!(run.command, None);
        } else {
            match &run.status {
                RunStatus::Failed(error) => assert!(error.contains("diverged"), "{error}"),
                RunStatus::Done => panic!("the exploding run finished"),
            }
        }
    }
    let relu = &c.summary[0];
    assert_eq!((relu.done, relu.failed), (2, 0));
    let accuracies: Vec<f64> = c
        .runs
        .iter()
        .filter(|r| r.activation == "relu")
        .map(|r| r.epochs[1].test_accuracy)
        .collect();
    assert_eq!(relu.test_accuracy, Spread::of(&accuracies));
    assert_eq!(relu.dead.len(), 3);
    assert_eq!((c.summary[1].done, c.summary[1].failed), (0, 2));
    assert_eq!(c.summary[1].test_accuracy, None);

    let markdown = fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(markdown.contains("| relu | 2 |"), "{markdown}");
    assert!(markdown.contains("| 0 (+2 failed) |"), "{markdown}");
    assert!(markdown.contains("## Failed runs"), "{markdown}");
    // Runs trained in this process have no command line to re-run them with.
    assert!(!markdown.contains("## Re-running one row"), "{markdown}");

    let csv = fs::read_to_string(out.path().join("compare.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let header = fields(lines[0]);
    assert_eq!(
        lines.len(),
        1 + 2 * 2 + 2,
        "2 relu runs x 2 epochs, 2 failed runs"
    );
    for line in &lines[1..] {
        let row = fields(line);
        assert_eq!(row.len(), header.len(), "{line}");
        let status = &row[header.iter().position(|h| h == "status").unwrap()];
        assert_eq!(
            status == "failed",
            row[0] == exploding.to_string(),
            "{line}"
        );
    }

    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 4);
    assert_eq!(json["runs"][1]["status"], "failed");
    assert_eq!(json["seeds"], serde_json::json!([1, 2]));
}

#[test]
fn spreads_and_run_names() {
    let s = Spread::of(&[1.0, 2.0, 3.0]).unwrap();
    assert_eq!((s.mean, s.std), (2.0, 1.0));
    assert_eq!(Spread::of(&[4.0]).unwrap().std, 0.0);
    assert_eq!(Spread::of(&[]), None);
    let a: Activation = "leaky_relu:alpha=0.2".parse().unwrap();
    assert_eq!(run_name(&a, 3), "leaky_relu-alpha-0.2-seed3");
}

/// The CSV without its `seconds` column: the only figure that depends on the machine's load.
fn without_seconds(csv: &str) -> Vec<Vec<String>> {
    let rows: Vec<Vec<String>> = csv.lines().map(fields).collect();
    let seconds = rows[0].iter().position(|h| h == "seconds").unwrap();
    rows.into_iter()
        .map(|mut row| {
            row.remove(seconds);
            row
        })
        .collect()
}

#[test]
fn shards_merge_into_the_whole_sweep_and_bad_merges_name_the_shard() {
    let data = common::small_split(32, 16);
    let settings = CompareSettings {
        activations: vec![Activation::Relu, "leaky_relu:alpha=0.2".parse().unwrap()],
        seeds: vec![1, 2],
        base: CnnSettings {
            epochs: 1,
            batch: 16,
            ..CnnSettings::default()
        },
    };
    let root = tempfile::tempdir().unwrap();
    let sweep = |shard: Shard, dir: &str| {
        let mut progress = Recorder::default();
        let mut trainer = InProcess {
            progress: &mut progress,
        };
        let out = root.path().join(dir);
        let folder = common::folder(&out);
        compare(
            &settings,
            false,
            shard,
            &data,
            &folder,
            Start::Fresh,
            &mut trainer,
        )
        .unwrap();
        (out.clone(), shard::load(&out).unwrap())
    };
    let (whole_dir, whole) = sweep(Shard::WHOLE, "whole");
    let one = sweep(Shard { index: 1, count: 2 }, "one");
    let two = sweep(Shard { index: 2, count: 2 }, "two");
    assert_eq!(whole.runs.len(), 4);
    assert_eq!((one.1.runs.len(), two.1.runs.len()), (2, 2));
    assert_eq!(
        one.1.runs[1].activation, "relu",
        "runs 0 and 2 of the sweep"
    );

    let merged = shard::merge(&[two.clone(), one.clone()]).unwrap();
    let merged_dir = root.path().join("merged");
    fs::create_dir(&merged_dir).unwrap();
    leaky_lab::experiments::compare::write(&merged, &merged_dir).unwrap();
    let csv = |dir: &std::path::Path| fs::read_to_string(dir.join("compare.csv")).unwrap();
    assert_eq!(
        without_seconds(&csv(&merged_dir)),
        without_seconds(&csv(&whole_dir))
    );
    assert_eq!(merged.shard, None);
    assert_eq!(merged.summary.len(), 2);
    assert_eq!(merged.summary[0].done, 2);

    let error = |parts: &[(
        std::path::PathBuf,
        leaky_lab::experiments::compare::Comparison,
    )]| { shard::merge(parts).unwrap_err().to_string() };
    assert!(error(std::slice::from_ref(&one)).contains("shard 2/2 missing"));
    assert!(error(&[one.clone(), one.clone()]).contains("shard 1/2 is given twice"));
    assert!(
        error(&[one.clone(), (whole_dir.clone(), whole.clone())]).contains("shard count 2 vs 1")
    );
    let mut other = two.clone();
    other.1.epochs = 3;
    assert!(error(&[one.clone(), other]).contains("epochs 1 vs 3"));
    let mut short = two.clone();
    short.1.runs.pop();
    let message = error(&[one.clone(), short]);
    assert!(
        message.contains("incomplete") && message.contains("leaky_relu:alpha=0.2 seed 2"),
        "{message}"
    );
    assert!(shard::load(root.path()).is_err(), "no compare.json there");
}

/// Resuming a finished sweep with more epochs continues every run from its checkpoint; resuming
/// it again trains nothing; and the figures are those of a sweep that never stopped. A run whose
/// metrics lack an epoch (a partial copy) is not taken as finished: it is trained again.
#[test]
fn a_resumed_sweep_continues_its_runs_and_keeps_the_finished_ones() {
    let data = common::small_split(32, 16);
    let settings = |epochs: usize| CompareSettings {
        activations: vec![Activation::Relu, "leaky_relu:alpha=0.2".parse().unwrap()],
        seeds: vec![1],
        base: CnnSettings {
            epochs,
            batch: 16,
            ..CnnSettings::default()
        },
    };
    let root = tempfile::tempdir().unwrap();
    let sweep = |epochs: usize, dir: &str, start: Start| {
        let mut progress = Recorder::default();
        let mut trainer = InProcess {
            progress: &mut progress,
        };
        let folder = common::folder(&root.path().join(dir));
        let c = compare(
            &settings(epochs),
            false,
            Shard::WHOLE,
            &data,
            &folder,
            start,
            &mut trainer,
        )
        .unwrap();
        (c, progress.started.len())
    };
    let (straight, _) = sweep(2, "straight", Start::Fresh);
    let (_, trained) = sweep(1, "resumed", Start::Fresh);
    assert_eq!(trained, 2);
    let (resumed, trained) = sweep(2, "resumed", Start::Resume);
    assert_eq!(trained, 2, "both runs continue");
    let (again, trained) = sweep(2, "resumed", Start::Resume);
    assert_eq!(trained, 0, "nothing is left to train");
    let figures = |c: &leaky_lab::experiments::compare::Comparison| -> Vec<Vec<(f64, f64)>> {
        c.runs
            .iter()
            .map(|r| {
                r.epochs
                    .iter()
                    .map(|e| (e.train_loss, e.test_loss))
                    .collect()
            })
            .collect()
    };
    assert_eq!(figures(&resumed), figures(&straight));
    assert_eq!(figures(&again), figures(&straight));

    let metrics = root.path().join("resumed/runs/relu-seed1/metrics.json");
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&metrics).unwrap()).unwrap();
    json["epochs"].as_array_mut().unwrap().pop();
    fs::write(&metrics, serde_json::to_vec(&json).unwrap()).unwrap();
    let (retrained, trained) = sweep(2, "resumed", Start::Resume);
    assert_eq!(
        trained, 1,
        "the run with an incomplete metrics.json is trained again"
    );
    assert_eq!(figures(&retrained), figures(&straight));
}

/// A shard whose `compare.json` marks a run done but lacks one of its epochs (an edited or
/// partly copied file) is refused by a merge, and so is a shard number out of range.
#[test]
fn a_merge_refuses_incomplete_or_impossible_results() {
    let data = common::small_split(32, 16);
    let settings = CompareSettings {
        activations: vec![Activation::Relu],
        seeds: vec![1, 2],
        base: CnnSettings {
            epochs: 2,
            batch: 16,
            ..CnnSettings::default()
        },
    };
    let root = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for index in 1..=2 {
        let out = root.path().join(format!("shard-{index}"));
        let mut progress = Recorder::default();
        let mut trainer = InProcess {
            progress: &mut progress,
        };
        let shard = Shard { index, count: 2 };
        let folder = common::folder(&out);
        compare(
            &settings,
            false,
            shard,
            &data,
            &folder,
            Start::Fresh,
            &mut trainer,
        )
        .unwrap();
        parts.push((out.clone(), shard::load(&out).unwrap()));
    }
    shard::merge(&parts).unwrap();
    let mut short = parts.clone();
    short[1].1.runs[0].epochs.remove(0);
    let message = shard::merge(&short).unwrap_err().to_string();
    assert!(
        message.contains("relu seed 2 is marked done with epochs [2] of 2"),
        "{message}"
    );

    let json = root.path().join("shard-2/compare.json");
    let text = fs::read_to_string(&json).unwrap();
    fs::write(&json, text.replace("\"index\": 2", "\"index\": 3")).unwrap();
    let message = shard::load(&root.path().join("shard-2"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("shard 3/2: I must be from 1 to N"),
        "{message}"
    );
}

/// Every unit forced dead (biases at -100, see `tests/measure.rs`): the revival table adds up
/// the seeds' dead units, none revived; the steps' CSV has one row per run and measured step.
#[test]
fn a_measured_sweep_writes_the_revival_table_and_the_steps() {
    let data = common::small_split(48, 24);
    let out = tempfile::tempdir().unwrap();
    let settings = CompareSettings {
        activations: vec![Activation::Relu, "leaky_relu".parse().unwrap()],
        seeds: vec![1, 2],
        base: CnnSettings {
            epochs: 1,
            batch: 16,
            bias_init: Some(-100.0),
            measure: Measure::Every(1),
            ..CnnSettings::default()
        },
    };
    let mut progress = Recorder::default();
    let c = compare(
        &settings,
        true,
        Shard::WHOLE,
        &data,
        &common::folder(out.path()),
        Start::Fresh,
        &mut InProcess {
            progress: &mut progress,
        },
    )
    .unwrap();
    for run in &c.runs {
        let steps: Vec<usize> = run.measurement.steps.iter().map(|s| s.step).collect();
        assert_eq!(steps, [0, 1, 2, 3]);
    }
    let markdown = fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(markdown.contains("## Revival"), "{markdown}");
    for activation in ["relu", "leaky_relu:alpha=0.01"] {
        let row =
            format!("| {activation} | hidden | 256 of 256 | 0 (0%) | 256 | 0 (0%) | 256 (100%) |");
        assert!(markdown.contains(&row), "{row} in {markdown}");
    }
    let csv = fs::read_to_string(out.path().join("compare-steps.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 4 * 4, "{csv}");
    assert_eq!(
        &fields(lines[0])[..7],
        [
            "activation",
            "seed",
            "step",
            "accuracy",
            "dead_conv1",
            "nearly_dead_conv1",
            "zero_gradient_conv1"
        ]
    );
    assert_eq!(fields(lines[0]).len(), 4 + 3 * 3);
    let relu_row = fields(lines[1]);
    assert_eq!(&relu_row[..3], ["relu", "1", "0"]);
    assert_eq!(&relu_row[4..7], ["1", "1", "1"]);
    let leaky_row = fields(lines[5]);
    assert_eq!(&leaky_row[..3], ["leaky_relu:alpha=0.01", "1", "0"]);
    assert_eq!(&leaky_row[4..7], ["1", "1", "0"]);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["runs"][0]["steps"].as_array().unwrap().len(), 4);
    assert_eq!(json["runs"][0]["revival"][2]["dead_for_good"], 128);
    let reread = leaky_lab::experiments::shard::load(out.path()).unwrap();
    assert_eq!(reread.runs[3].measurement, c.runs[3].measurement);
}
