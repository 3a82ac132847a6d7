//! Helpers shared by the command-line test files: running the binary, checking its outcome, and
//! writing a small MNIST in IDX files.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use leaky_lab::data::dataset;

/// Runs `leaky ARGS` in `dir` and waits for it.
pub fn leaky(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leaky"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the leaky binary runs")
}

/// Asserts success and returns standard output.
pub fn assert_success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts exit code `code`, no panic, and `needle` in standard error: clap's usage message, or
/// a single `leaky: error:` line.
pub fn assert_error(output: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    if !stderr.starts_with("error:") {
        assert!(stderr.starts_with("leaky: error: "), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
}

/// Writes the first `train` and `test` embedded digits to `dir` as MNIST's four IDX files.
pub fn small_mnist(dir: &Path, train: usize, test: usize) {
    let full = dataset::embedded().unwrap();
    let first = |n: usize| (0..n).collect::<Vec<_>>();
    let split = dataset::Split {
        train: full.train.select(&first(train)),
        test: full.test.select(&first(test)),
        source: String::new(),
    };
    dataset::write_mnist_dir(&split, dir).unwrap();
}
