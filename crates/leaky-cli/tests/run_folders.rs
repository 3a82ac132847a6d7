//! Nothing lost: one writer per run folder, no run replaced by accident, checkpoints checked
//! against their checksums, and a write that fails part-way leaving the previous files readable;
//! on the built binary, each refusal one line on standard error.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use candle_nn::VarMap;
use leaky_lab::data::dataset;
use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use leaky_lab::models::cnn::{Cnn, CnnConfig};

mod common;
use common::{assert_error, assert_success, leaky, small_mnist};

/// Waits until `lock` names the process `pid` as its holder.
fn wait_for_holder(lock: &Path, pid: u32) {
    let start = Instant::now();
    while fs::read_to_string(lock).ok().as_deref().map(str::trim) != Some(&pid.to_string()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never named process {pid}",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_writer_is_refused_and_a_killed_one_leaves_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    small_mnist(&dir.path().join("mnist"), 64, 16);
    let mut first = Command::new(env!("CARGO_BIN_EXE_leaky"))
        .args([
            "train", "cnn", "--data", "mnist", "--epochs", "10000", "--out", "run",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_holder(&dir.path().join("run/.lock"), first.id());
    let in_use = format!(
        "run is in use by another leaky process (PID {}): one process writes to a run folder at a time",
        first.id()
    );
    let others: [&[&str]; 4] = [
        &[
            "train", "cnn", "--data", "mnist", "--epochs", "1", "--out", "run",
        ],
        &[
            "train", "cnn", "--data", "mnist", "--resume", "--out", "run",
        ],
        &[
            "train",
            "gan",
            "--data",
            "mnist",
            "--steps",
            "1",
            "--out",
            "run",
            "--overwrite",
        ],
        &[
            "compare",
            "--data",
            "mnist",
            "--activations",
            "relu",
            "--out",
            "run",
            "--resume",
        ],
    ];
    for args in others {
        assert_error(&leaky(dir.path(), args), 2, &in_use);
    }
    first.kill().unwrap(); // SIGKILL: no chance to clean up.
    first.wait().unwrap();
    assert_success(&leaky(
        dir.path(),
        &[
            "train",
            "cnn",
            "--data",
            "mnist",
            "--epochs",
            "1",
            "--out",
            "run",
            "--overwrite",
        ],
    ));
}

#[test]
fn a_folder_holding_a_run_is_refused_unless_resumed_or_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    small_mnist(&dir.path().join("mnist"), 32, 16);
    let cnn = |extra: &[&str]| {
        let mut args = vec!["train", "cnn", "--data", "mnist", "--out", "run"];
        args.extend(extra);
        leaky(dir.path(), &args)
    };
    assert_success(&cnn(&["--epochs", "1"]));
    let model = fs::read(dir.path().join("run/model.safetensors")).unwrap();
    assert_error(
        &cnn(&["--epochs", "1", "--seed", "2"]),
        2,
        "run already holds a `train cnn` run (leaky_relu:alpha=0.01, seed 1, epoch 1 done): \
         continue it with --resume, or replace it with --overwrite",
    );
    assert_eq!(
        fs::read(dir.path().join("run/model.safetensors")).unwrap(),
        model
    );
    assert_success(&cnn(&["--resume", "--epochs", "2"]));
    assert_success(&cnn(&["--overwrite", "--epochs", "1", "--seed", "2"]));
    let metrics = fs::read_to_string(dir.path().join("run/metrics.json")).unwrap();
    assert!(metrics.contains("\"seed\": 2"), "{metrics}");
    let both = cnn(&["--resume", "--overwrite"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));

    let gan = [
        "train", "gan", "--data", "mnist", "--steps", "2", "--batch", "8",
    ];
    let gan: Vec<&str> = gan
        .into_iter()
        .chain(["--channels", "2", "--latent", "2", "--out", "gan"])
        .collect();
    assert_success(&leaky(dir.path(), &gan));
    assert_error(
        &leaky(dir.path(), &gan),
        2,
        "gan already holds a `train gan` run (generator relu, discriminator leaky_relu:alpha=0.2, \
         seed 1, step 2 done)",
    );

    let sweep = [
        "compare",
        "--data",
        "mnist",
        "--activations",
        "relu",
        "--seeds",
        "1",
    ];
    let sweep: Vec<&str> = sweep
        .into_iter()
        .chain(["--epochs", "1", "--jobs", "1", "--out", "sweep"])
        .collect();
    assert_success(&leaky(dir.path(), &sweep));
    let results = fs::read(dir.path().join("sweep/compare.json")).unwrap();
    assert_error(
        &leaky(dir.path(), &sweep),
        2,
        "sweep already holds a `compare` sweep (relu with seeds [1], 1 epochs; 1 runs ended)",
    );
    let resumed: Vec<&str> = sweep.iter().copied().chain(["--resume"]).collect();
    assert_success(&leaky(dir.path(), &resumed));
    assert_eq!(
        fs::read(dir.path().join("sweep/compare.json")).unwrap(),
        results,
        "a finished sweep resumed is kept as it is"
    );
    let merge = ["compare", "--merge", "sweep", "--out", "merged"];
    assert_success(&leaky(dir.path(), &merge));
    assert_error(
        &leaky(dir.path(), &merge),
        2,
        "merged already holds a `compare` sweep",
    );
    let merge: Vec<&str> = merge.into_iter().chain(["--overwrite"]).collect();
    assert_success(&leaky(dir.path(), &merge));
}

/// A classifier checkpoint at `path`, and a picture of a digit beside it.
fn classifier_and_digit(dir: &Path) {
    let varmap = VarMap::new();
    let cnn = Cnn::seeded(CnnConfig::new("relu".parse().unwrap()), &varmap, 1).unwrap();
    let mut checkpoint = Checkpoint::new(Kind::Cnn, &dir.join("model.safetensors"));
    cnn.config().store(&mut checkpoint);
    checkpoint.add_vars("", &varmap);
    checkpoint.save().unwrap();
    let digits = dataset::embedded().unwrap();
    leaky_lab::data::images::write_grid(&dir.join("digit.png"), digits.test.image(0), 1).unwrap();
}

#[test]
fn a_changed_checkpoint_is_refused_and_one_without_a_checksum_loads_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    classifier_and_digit(dir.path());
    let classify = ["classify", "--checkpoint", "model.safetensors", "digit.png"];
    let output = leaky(dir.path(), &classify);
    assert_success(&output);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let path = dir.path().join("model.safetensors");
    let bytes = fs::read(&path).unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x08;
    fs::write(&path, &flipped).unwrap();
    assert_error(
        &leaky(dir.path(), &classify),
        2,
        "model.safetensors: corrupt checkpoint: its content has checksum crc32:",
    );

    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = header.metadata().clone().unwrap();
    metadata.remove("leaky-lab.checksum").unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    fs::write(
        &path,
        safetensors::serialize(file.tensors(), Some(metadata)).unwrap(),
    )
    .unwrap();
    let output = leaky(dir.path(), &classify);
    assert!(assert_success(&output).starts_with("digit.png: "));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "leaky: note: model.safetensors has no checksum (it was written by an older leaky): \
         its content is not checked\n"
    );
}

/// A resumed run that cannot write its next checkpoint (the process may not write a file over
/// 32 KiB, as a full disk would stop it): one line naming the file, and the previous checkpoint
/// and metrics as they were, loadable, and resumable once the space is there.
#[cfg(unix)]
#[test]
fn a_failed_write_leaves_the_previous_checkpoint_and_results_readable() {
    let dir = tempfile::tempdir().unwrap();
    small_mnist(&dir.path().join("mnist"), 32, 16);
    let args = ["train", "cnn", "--data", "mnist", "--out", "run"];
    let first: Vec<&str> = args.into_iter().chain(["--epochs", "1"]).collect();
    assert_success(&leaky(dir.path(), &first));
    let read = |name: &str| fs::read(dir.path().join("run").join(name)).unwrap();
    let (model, metrics) = (read("model.safetensors"), read("metrics.json"));

    // A signal ignored stays ignored through exec: the write fails with EFBIG instead.
    let limited = format!(
        "trap '' XFSZ; ulimit -f 64; exec \"$0\" {} --resume --epochs 2",
        args.join(" ")
    );
    let output = Command::new("sh")
        .args(["-c", &limited, env!("CARGO_BIN_EXE_leaky")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_error(
        &output,
        1,
        "cannot write run/model.safetensors: File too large",
    );
    assert_eq!(read("model.safetensors"), model);
    assert_eq!(read("metrics.json"), metrics);
    let mut names: Vec<String> = fs::read_dir(dir.path().join("run"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".lock",
            "curves.png",
            "metrics.json",
            "model.safetensors",
            "progress.json"
        ],
        "no temporary file is left"
    );
    Checkpoint::load(&dir.path().join("run/model.safetensors"), Kind::Cnn).unwrap();
    let resumed: Vec<&str> = args
        .into_iter()
        .chain(["--resume", "--epochs", "2"])
        .collect();
    assert_success(&leaky(dir.path(), &resumed));
}
