//! `leaky compare` and `leaky diagnose` on the built binary: the files they write, and bad input
//! reported on one line with a non-zero exit.

use std::fs;
use std::path::Path;

use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use leaky_lab::models::cnn::{Cnn, CnnConfig};

mod common;
use common::{assert_error, assert_success, leaky, small_mnist};

#[test]
fn compare_writes_its_reports_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    small_mnist(&dir.path().join("mnist"), 48, 24);
    let stdout = assert_success(&leaky(
        dir.path(),
        &[
            "compare",
            "--activations",
            "relu,hardtanh:min=-2,max=2",
            "--seeds",
            "2",
            "--epochs",
            "2",
            "--data",
            "mnist",
            "--out",
            "cmp",
        ],
    ));
    assert!(stdout.contains("| relu | 2 |"), "{stdout}");
    assert!(
        stdout.contains("| hardtanh:min=-2.0,max=2.0 | 2 |"),
        "{stdout}"
    );
    for name in [
        "compare.md",
        "compare.json",
        "compare.csv",
        "compare-steps.csv",
        "compare-accuracy.png",
        "compare-dead.png",
        "compare-units.png",
    ] {
        assert!(dir.path().join("cmp").join(name).is_file(), "{name}");
    }
    assert!(
        dir.path()
            .join("cmp/runs/relu-seed2/model.safetensors")
            .is_file()
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("cmp/compare.json")).unwrap()).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 4);
    assert_eq!(json["stress"], false);
    assert_eq!(json["lr"], 0.001);
    // 48 digits in batches of 16 for 2 epochs: 6 steps, measured at every one (the default
    // interval, 6 / 40, is at least 1).
    let run = &json["runs"][0];
    assert_eq!(run["measure_every"], 1);
    assert_eq!(run["measure_digits"], 24);
    let steps: Vec<u64> = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(run["revival"].as_array().unwrap().len(), 3);
    // Each run's command re-runs it alone, on the same digits.
    let command = run["command"].as_str().unwrap();
    for part in [
        "leaky train cnn --activation relu --seed 1 --epochs 2",
        "--data mnist",
    ] {
        assert!(command.contains(part), "{command}");
    }

    // A model from the sweep can be diagnosed.
    let stdout = assert_success(&leaky(
        dir.path(),
        &[
            "diagnose",
            "--checkpoint",
            "cmp/runs/relu-seed1/model.safetensors",
            "--data",
            "mnist",
        ],
    ));
    assert!(stdout.contains("on 24 held-out digits"), "{stdout}");
}

#[test]
fn compare_stress_sets_and_records_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    small_mnist(&dir.path().join("mnist"), 32, 16);
    assert_success(&leaky(
        dir.path(),
        &[
            "compare",
            "--stress",
            "--activations",
            "leaky_relu",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--data",
            "mnist",
        ],
    ));
    let out = dir.path().join("runs/compare-stress");
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(
        (&json["stress"], &json["lr"], &json["bias_init"]),
        (
            &serde_json::json!(true),
            &serde_json::json!(0.001),
            &serde_json::json!(-2.0)
        )
    );
    let markdown = fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        markdown.contains("--lr 0.001 --lr-decay 0.5 --max-shift 1 --bias-init -2"),
        "{markdown}"
    );
}

/// A CSV's rows without its `seconds` column, the one figure that depends on the machine's load.
fn rows_without_seconds(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let seconds = rows[0].iter().position(|h| h == "seconds").unwrap();
    rows.into_iter()
        .map(|mut row| {
            row.remove(seconds);
            row
        })
        .collect()
}

#[test]
fn compare_gives_the_same_results_with_one_or_two_jobs_and_from_merged_shards() {
    let dir = tempfile::tempdir().unwrap();
    small_mnist(&dir.path().join("mnist"), 48, 16);
    let sweep = [
        "--activations",
        "relu,leaky_relu:alpha=0.2,gelu",
        "--seeds",
        "2",
    ];
    let compare = |extra: &[&str]| {
        let mut args = vec!["compare", "--epochs", "1", "--data", "mnist"];
        args.extend(sweep);
        args.extend(extra);
        assert_success(&leaky(dir.path(), &args))
    };
    compare(&["--jobs", "1", "--out", "one"]);
    let stdout = compare(&["--jobs", "2", "--out", "two"]);
    assert!(stdout.contains("2 at a time"), "{stdout}");
    compare(&["--jobs", "2", "--shard", "1/2"]);
    compare(&["--jobs", "1", "--shard", "2/2"]);
    let shards = dir.path().join("runs/compare");
    assert!(
        shards
            .join("shard-2-of-2/runs/relu-seed2/train.log")
            .is_file()
    );
    let stdout = assert_success(&leaky(
        dir.path(),
        &[
            "compare",
            "--merge",
            "runs/compare/shard-2-of-2",
            "runs/compare/shard-1-of-2",
            "--out",
            "merged",
        ],
    ));
    assert!(stdout.contains("merged 2 shards: 6 runs"), "{stdout}");
    let one = rows_without_seconds(&dir.path().join("one/compare.csv"));
    assert_eq!(one.len(), 1 + 6);
    assert_eq!(
        one,
        rows_without_seconds(&dir.path().join("two/compare.csv"))
    );
    assert_eq!(
        one,
        rows_without_seconds(&dir.path().join("merged/compare.csv"))
    );
    assert!(dir.path().join("merged/compare-accuracy.png").is_file());

    // A shard missing from the merge, or one given twice, is named; nothing is written.
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "compare",
                "--merge",
                "runs/compare/shard-1-of-2",
                "--out",
                "m2",
            ],
            "shard 2/2 missing",
        ),
        (
            &[
                "compare",
                "--merge",
                "runs/compare/shard-1-of-2",
                "runs/compare/shard-1-of-2",
                "--out",
                "m2",
            ],
            "shard 1/2 is given twice",
        ),
        (
            &[
                "compare",
                "--merge",
                "runs/compare/shard-1-of-2",
                "one",
                "--out",
                "m2",
            ],
            "not shards of one sweep",
        ),
    ];
    for (args, needle) in cases {
        assert_error(&leaky(dir.path(), args), 2, needle);
    }
    assert!(!dir.path().join("m2").exists());
}

#[test]
fn compare_rejects_bad_lists_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 13] = [
        (&["compare", "--measure-every", "0"], "must be at least 1"),
        (
            &["compare", "--epochs", "1", "--measure-every", "501"],
            "--measure-every 501: must be from 1 to the run's 500 training steps",
        ),
        (
            &["compare", "--no-measure", "--measure-every", "5"],
            "cannot be used with",
        ),
        (&["compare", "--activations", "relu,swishy"], "swishy"),
        (&["compare", "--jobs", "0"], "must be at least 1"),
        (&["compare", "--shard", "3/2"], "I must be from 1 to N"),
        (&["compare", "--shard", "x"], "is not I/N"),
        (&["compare", "--merge", "nowhere"], "cannot read it"),
        (
            &["compare", "--merge", "a", "--seeds", "2"],
            "cannot be used with",
        ),
        (
            &["compare", "--activations", "relu,relu"],
            "relu is listed twice",
        ),
        (&["compare", "--activations", "relu,,tanh"], "empty entry"),
        (&["compare", "--seeds", "0"], "must be at least 1"),
        (
            &["compare", "--bias-init", "nan"],
            "must be a finite number",
        ),
    ];
    for (args, needle) in cases {
        assert_error(&leaky(dir.path(), args), 2, needle);
    }
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn diagnose_prints_a_table_or_json_and_draws_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let varmap = candle_nn::VarMap::new();
    let cnn = Cnn::seeded(CnnConfig::new("relu".parse().unwrap()), &varmap, 1).unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, &dir.path().join("model.safetensors"));
    cnn.config().store(&mut checkpoint);
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();

    let stdout = assert_success(&leaky(
        dir.path(),
        &[
            "diagnose",
            "--checkpoint",
            "model.safetensors",
            "-o",
            "h.svg",
        ],
    ));
    for layer in ["conv1 ", "conv2 ", "hidden "] {
        assert!(stdout.contains(layer), "{stdout}");
    }
    assert!(stdout.contains("zero grad"), "{stdout}");
    assert!(stdout.contains("on 2000 held-out digits"), "{stdout}");
    let svg = fs::read_to_string(dir.path().join("h.svg")).unwrap();
    assert!(svg.contains("hidden (relu)"), "the panel titles");

    let stdout = assert_success(&leaky(
        dir.path(),
        &[
            "diagnose",
            "--checkpoint",
            "model.safetensors",
            "--json",
            "--batch",
            "10",
        ],
    ));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let layers = json["diagnosis"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(json["diagnosis"]["gradient_batch"], 10);
    for layer in layers {
        let gradient = layer["mean_abs_gradient"].as_f64().unwrap();
        assert!(gradient > 0.0 && gradient.is_finite(), "{layer}");
        let dead = layer["activity"]["dead"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&dead), "{layer}");
        // ReLU's derivative is 0 exactly where it is inactive (z ≤ 0): its units without
        // gradient are its dead units.
        assert_eq!(layer["zero_gradient"].as_f64().unwrap(), dead, "{layer}");
    }

    assert_error(
        &leaky(
            dir.path(),
            &["diagnose", "--checkpoint", "missing.safetensors"],
        ),
        2,
        "missing.safetensors",
    );
}
