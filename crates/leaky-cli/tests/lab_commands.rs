//! `leaky train`, `leaky sample` and `leaky classify` on the built binary: bad input gets one
//! line on standard error and a non-zero exit, never a panic; and the happy paths that are fast.

use std::fs;

use leaky_lab::files::checkpoint::{Checkpoint, Kind};

mod common;
use common::{assert_error, leaky};

#[test]
fn bad_numbers_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["train", "cnn", "--epochs", "0"], "must be at least 1"),
        (
            &["train", "cnn", "--epochs", "-3"],
            "unexpected argument '-3'",
        ),
        (&["train", "cnn", "--lr", "NaN"], "must be above 0"),
        (&["train", "cnn", "--lr", "0"], "must be above 0"),
        (&["train", "cnn", "--batch", "many"], "not a whole number"),
        (&["train", "gan", "--steps", "0"], "must be at least 1"),
        (&["train", "cnn", "--activation", "swishy"], "swishy"),
    ];
    for (args, needle) in cases {
        let output = leaky(dir.path(), args);
        assert_error(&output, 2, needle);
    }
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn measuring_intervals_of_zero_or_beyond_the_run_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    // The embedded 8,000 training digits in batches of 16: 500 steps per epoch.
    let cases: [(&[&str], &str); 3] = [
        (
            &["train", "cnn", "--measure-every", "0"],
            "must be at least 1",
        ),
        (
            &["train", "cnn", "--epochs", "2", "--measure-every", "1001"],
            "--measure-every 1001: must be from 1 to the run's 1000 training steps",
        ),
        (
            &["train", "cnn", "--no-measure", "--measure-every", "3"],
            "cannot be used with",
        ),
    ];
    for (args, needle) in cases {
        assert_error(&leaky(dir.path(), args), 2, needle);
    }
    assert!(
        !dir.path().join("runs/cnn/metrics.json").exists(),
        "nothing trained"
    );
}

#[test]
fn missing_data_and_unwritable_output_are_reported_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let output = leaky(dir.path(), &["train", "cnn", "--data", "no-such-dir"]);
    assert_error(
        &output,
        2,
        "neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz",
    );
    fs::write(dir.path().join("file"), "a file, not a directory").unwrap();
    let output = leaky(dir.path(), &["train", "cnn", "--out", "file/run"]);
    assert_error(&output, 1, "cannot create the output directory file/run");
    let output = leaky(dir.path(), &["train", "gan", "--out", "file"]);
    assert_error(&output, 1, "cannot create the output directory file");
}

#[test]
fn resuming_without_a_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = leaky(dir.path(), &["train", "cnn", "--resume", "--out", "empty"]);
    assert_error(&output, 2, "empty/model.safetensors");
    let output = leaky(dir.path(), &["train", "gan", "--resume", "--out", "empty"]);
    assert_error(&output, 2, "empty/generator.safetensors");
}

#[test]
fn bad_checkpoints_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("junk.safetensors"), b"junk").unwrap();
    Checkpoint::new(Kind::Cnn, &dir.path().join("cnn.safetensors"))
        .save()
        .unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["sample", "--checkpoint", "missing.safetensors"],
            "missing.safetensors: No such file",
        ),
        (
            &["sample", "--checkpoint", "junk.safetensors"],
            "not a valid safetensors checkpoint",
        ),
        (
            &["sample", "--checkpoint", "cnn.safetensors"],
            "this is a cnn checkpoint, a generator checkpoint is needed",
        ),
        (
            &["classify", "--checkpoint", "cnn.safetensors", "x.png"],
            "the metadata entry activation is missing",
        ),
        (
            &[
                "train",
                "gan",
                "--steps",
                "1",
                "--classifier",
                "junk.safetensors",
            ],
            "not a valid safetensors",
        ),
    ];
    for (args, needle) in cases {
        assert_error(&leaky(dir.path(), args), 2, needle);
    }
    let output = leaky(
        dir.path(),
        &["sample", "--checkpoint", "junk.safetensors", "-n", "0"],
    );
    assert_error(&output, 2, "0 is not in 1..=10000");
}

#[test]
fn a_short_gan_run_then_sample_and_classify() {
    let dir = tempfile::tempdir().unwrap();
    let output = leaky(
        dir.path(),
        &[
            "train",
            "gan",
            "--steps",
            "2",
            "--batch",
            "8",
            "--sample-every",
            "1",
            "--out",
            "gan",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("classifier score: skipped"), "{stdout}");
    for name in [
        "samples-1.png",
        "samples-2.png",
        "samples.png",
        "generator.safetensors",
        "discriminator.safetensors",
        "metrics.json",
    ] {
        assert!(dir.path().join("gan").join(name).is_file(), "{name}");
    }

    // The generator draws; the discriminator is not a generator; the generator is not a classifier.
    let output = leaky(
        dir.path(),
        &[
            "sample",
            "--checkpoint",
            "gan/generator.safetensors",
            "-n",
            "5",
            "-o",
            "five.png",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        &fs::read(dir.path().join("five.png")).unwrap()[1..4],
        b"PNG"
    );
    // A conditional generator (the default) draws a chosen digit; there is no digit 10.
    let output = leaky(
        dir.path(),
        &[
            "sample",
            "--checkpoint",
            "gan/generator.safetensors",
            "--digit",
            "7",
            "-o",
            "sevens.png",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("sevens.png").is_file());
    let output = leaky(
        dir.path(),
        &[
            "sample",
            "--checkpoint",
            "gan/generator.safetensors",
            "--digit",
            "10",
        ],
    );
    assert_error(&output, 2, "--digit");
    let output = leaky(
        dir.path(),
        &["sample", "--checkpoint", "gan/discriminator.safetensors"],
    );
    assert_error(&output, 2, "this is a discriminator checkpoint");
    let output = leaky(
        dir.path(),
        &[
            "classify",
            "--checkpoint",
            "gan/generator.safetensors",
            "five.png",
        ],
    );
    assert_error(
        &output,
        2,
        "this is a generator checkpoint, a cnn checkpoint is needed",
    );

    // Resume two more steps, then refuse a resume that asks for no more.
    let output = leaky(
        dir.path(),
        &["train", "gan", "--resume", "--steps", "3", "--out", "gan"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = leaky(dir.path(), &["train", "gan", "--resume", "--out", "gan"]);
    assert_error(
        &output,
        2,
        "already trained 3 steps; ask for more with --steps",
    );
    let output = leaky(
        dir.path(),
        &[
            "train", "gan", "--resume", "--steps", "9", "--batch", "9", "--out", "gan",
        ],
    );
    assert_error(
        &output,
        2,
        "the batch size is 9, but the checkpoints were trained with 8",
    );
    let output = leaky(
        dir.path(),
        &[
            "train",
            "gan",
            "--resume",
            "--steps",
            "9",
            "--unconditional",
            "--out",
            "gan",
        ],
    );
    assert_error(
        &output,
        2,
        "the GAN's kind is unconditional, but the checkpoints were trained with conditional",
    );
}

#[test]
fn an_unconditional_generator_cannot_draw_a_chosen_digit() {
    let dir = tempfile::tempdir().unwrap();
    let output = leaky(
        dir.path(),
        &[
            "train",
            "gan",
            "--unconditional",
            "--steps",
            "1",
            "--batch",
            "8",
            "--out",
            "plain",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("training an unconditional GAN"), "{stdout}");
    let checkpoint = "plain/generator.safetensors";
    let output = leaky(
        dir.path(),
        &["sample", "--checkpoint", checkpoint, "-n", "4"],
    );
    assert!(output.status.success());
    let output = leaky(
        dir.path(),
        &["sample", "--checkpoint", checkpoint, "--digit", "3"],
    );
    assert_error(&output, 2, "was trained without digits");
}

#[test]
fn classify_reports_a_digit_and_rejects_non_pictures() {
    let dir = tempfile::tempdir().unwrap();
    // An untrained classifier is enough to check the output format.
    let model = dir.path().join("model.safetensors");
    let varmap = candle_nn::VarMap::new();
    let cnn = leaky_lab::models::cnn::Cnn::seeded(
        leaky_lab::models::cnn::CnnConfig::new("relu".parse().unwrap()),
        &varmap,
        1,
    )
    .unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, &model);
    cnn.config().store(&mut checkpoint);
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();
    let digits = leaky_lab::data::dataset::embedded().unwrap();
    leaky_lab::data::images::write_grid(&dir.path().join("digit.png"), digits.test.image(0), 1)
        .unwrap();
    fs::write(dir.path().join("text.png"), "not a picture").unwrap();

    let output = leaky(
        dir.path(),
        &[
            "classify",
            "--checkpoint",
            "model.safetensors",
            "digit.png",
            "digit.png",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.starts_with("digit.png: "), "{stdout}");
    assert!(stdout.contains("(probability 0."), "{stdout}");

    let output = leaky(
        dir.path(),
        &["classify", "--checkpoint", "model.safetensors", "text.png"],
    );
    assert_error(&output, 2, "text.png");
}

#[test]
fn a_gan_run_with_a_classifier_scores_generated_and_real_digits() {
    let dir = tempfile::tempdir().unwrap();
    // An untrained classifier is enough to check the output and the metrics.
    let varmap = candle_nn::VarMap::new();
    let cnn = leaky_lab::models::cnn::Cnn::seeded(
        leaky_lab::models::cnn::CnnConfig::new("relu".parse().unwrap()),
        &varmap,
        1,
    )
    .unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, &dir.path().join("model.safetensors"));
    cnn.config().store(&mut checkpoint);
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();
    let output = leaky(
        dir.path(),
        &[
            "train",
            "gan",
            "--steps",
            "1",
            "--batch",
            "8",
            "--classifier",
            "model.safetensors",
            "--out",
            "gan",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for needle in [
        "classifier score by model.safetensors:",
        "generated digits: ",
        "real held-out digits: ",
        "of 1000 recognised with confidence >= 0.9",
        "as the digit asked for",
        "Inception Score ",
    ] {
        assert!(stdout.contains(needle), "{needle:?} in {stdout}");
    }
    let metrics: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("gan/metrics.json")).unwrap()).unwrap();
    for key in ["classifier_score", "real_digits_score"] {
        let score = &metrics[key];
        assert_eq!(score["samples"], 1000, "{key}");
        let is = score["inception_score"].as_f64().unwrap();
        assert!((1.0..=10.0).contains(&is), "{key}: {is}");
        let intended = score["intended_fraction"].as_f64().unwrap();
        assert!(
            intended <= score["confident_fraction"].as_f64().unwrap(),
            "{key}"
        );
    }
    assert_eq!(metrics["conditional"], true);
}
