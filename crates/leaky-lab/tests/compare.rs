//! `compare`: every activation and seed trained, failures recorded without stopping the sweep,
//! and the three reports consistent with the runs.

mod common;

use std::fs;

use leaky::Activation;
use leaky_lab::compare::{
    CompareProgress, CompareSettings, RunResult, RunStatus, Spread, compare, run_name,
};
use leaky_lab::train_cnn::{CnnProgress, CnnSettings, EpochRecord};

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
    fn run_started(&mut self, index: usize, total: usize, activation: &Activation, seed: u64) {
        self.started
            .push((index, total, activation.to_string(), seed));
    }
    fn run_done(&mut self, result: &RunResult) {
        self.done
            .push(format!("{} {}", result.activation, result.seed));
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
    let c = compare(&settings, false, &data, out.path(), &mut progress).unwrap();

    assert_eq!(progress.started.len(), 4);
    assert_eq!(progress.started[3], (3, 4, exploding.to_string(), 2));
    assert_eq!(progress.done.len(), 4);
    assert_eq!(c.runs.len(), 4);
    for run in &c.runs {
        if run.activation == "relu" {
            assert_eq!(run.status, RunStatus::Done);
            assert_eq!(run.epochs.len(), 2);
            assert!(run.out.join("model.safetensors").is_file());
            assert!(
                run.command.contains(&format!("--seed {}", run.seed)),
                "{}",
                run.command
            );
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
    assert!(
        markdown.contains("leaky train cnn --activation relu --seed 2"),
        "{markdown}"
    );

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
