//! Fuzzing every parser of user files and text: activation specs, IDX files (plain and
//! gzipped), safetensors checkpoints and their metadata, PNG pictures for `classify`, and the
//! `compare.json` and `metrics.json` that resuming and merging read back. The property: every
//! input gives a value or a clean error, never a panic, a hang or a huge allocation (see
//! [`engine`]). Numbers on standard input are fuzzed on the `leaky` binary, in `leaky-cli`.
//!
//! The inputs are mutations of the seed corpus in `tests/fuzz/corpus`, a few kilobytes written
//! by `write_the_seed_corpus` (`cargo test --release -p leaky-lab --test fuzz -- --ignored`).
//! CI runs a bounded number of inputs per target (725,000 in all, about 20 s on two cores); a
//! longer run, with the figures printed:
//!
//! ```sh
//! LEAKY_FUZZ_CASES=1000000 cargo test --release -p leaky-lab --test fuzz -- --nocapture
//! ```

#[path = "../common/mod.rs"]
mod common;
mod engine;
mod seeds;
mod structure;

use std::alloc::{GlobalAlloc, Layout, System};

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use leaky::Activation;
use leaky_lab::data::idx::{self, PIXELS};
use leaky_lab::data::images::read_digit;
use leaky_lab::experiments::{compare, shard};
use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use leaky_lab::models::cnn::Cnn;
use leaky_lab::models::gan::{Discriminator, GanConfig, Generator};
use leaky_lab::training::score::classify_pixels;
use leaky_lab::training::train_cnn::{self, CnnResume, read_run};
use leaky_lab::training::train_gan::{self, GanResume};

use crate::engine::{Target, run};
use crate::structure::{scratch_dir, scratch_file, write_new};

/// The system allocator, refusing one huge request from a thread that runs a fuzz input
/// ([`engine::over_limit`]).
struct Capped;

// SAFETY: every call is passed on to the system allocator, except requests that
// `over_limit` refuses, which return null as a failed allocation does.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match engine::over_limit(layout.size()) {
            true => std::ptr::null_mut(),
            false => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match engine::over_limit(layout.size()) {
            true => std::ptr::null_mut(),
            false => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match engine::over_limit(new_size) {
            true => std::ptr::null_mut(),
            false => unsafe { System.realloc(ptr, layout, new_size) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

/// Any error, as its message.
fn message(err: impl std::fmt::Display) -> String {
    err.to_string()
}

#[test]
fn activation_specs() {
    let target = Target {
        name: "activation_spec",
        cases: 200_000,
        dictionary: &[
            ":",
            ",",
            "=",
            "alpha",
            "weight",
            "lower",
            "upper",
            "beta",
            "threshold",
            "value",
            "min",
            "max",
            "lambda",
            "approximate",
            "tanh",
            "none",
            "leaky_relu",
            "prelu",
            "rrelu",
            "hardtanh",
            "softplus",
            " ",
            "_",
            "-",
        ],
        structured: None,
    };
    run(&target, |input| {
        let text = std::str::from_utf8(input).map_err(message)?;
        let activation: Activation = text.parse().map_err(message)?;
        let shown = activation.to_string();
        let again: Activation = shown
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} reads as {shown:?}, which does not parse: {e}"));
        assert_eq!(again, activation, "{text:?} reads as {shown:?}");
        let xs = [
            -2.0,
            -0.0,
            0.0,
            0.5,
            1e30,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        let mut ys = [0.0; 8];
        activation.forward_slice(&xs, &mut ys).map_err(message)?;
        for x in xs {
            activation.derivative(x);
            activation.forward(f64::from(x));
            activation.derivative(f64::from(x));
        }
        Ok(())
    });
}

#[test]
fn idx_images() {
    let target = Target {
        name: "idx_images",
        cases: 100_000,
        dictionary: &[],
        structured: Some(structure::inside_gzip),
    };
    run(&target, |input| {
        let images = idx::parse_images(input).map_err(message)?;
        assert_eq!(images.pixels.len(), images.count * PIXELS);
        Ok(())
    });
}

#[test]
fn idx_labels() {
    let target = Target {
        name: "idx_labels",
        cases: 100_000,
        dictionary: &[],
        structured: Some(structure::inside_gzip),
    };
    run(&target, |input| {
        let labels = idx::parse_labels(input).map_err(message)?;
        assert!(labels.iter().all(|&label| label <= 9));
        Ok(())
    });
}

#[test]
fn png_pictures() {
    let target = Target {
        name: "png_digit",
        cases: 100_000,
        dictionary: &["IHDR", "IDAT", "IEND", "PLTE", "tRNS"],
        structured: Some(structure::png_chunks),
    };
    let path = scratch_file("digit.png");
    run(&target, |input| {
        write_new(&path, input);
        let pixels = read_digit(&path).map_err(message)?;
        assert_eq!(pixels.len(), PIXELS);
        Ok(())
    });
}

/// Every reader of a checkpoint on the same bytes: as a classifier (built and run on a blank
/// digit), a generator (drawing two digits), a discriminator (judging a blank one), and as the
/// run to resume in a folder, beside a valid partner for the GAN's pair.
#[test]
fn checkpoints() {
    let target = Target {
        name: "checkpoint",
        cases: 25_000,
        dictionary: &[
            "leaky-lab.kind",
            "leaky-lab.checksum",
            "crc32:",
            "__metadata__",
            "F32",
            "F16",
            "U8",
            "I64",
            "dtype",
            "shape",
            "data_offsets",
            "cnn",
            "generator",
            "discriminator",
        ],
        structured: Some(structure::checkpoint_fields),
    };
    let corpus = engine::corpus_dir().join("checkpoint");
    let generator = std::fs::read(corpus.join("generator.safetensors")).unwrap();
    let discriminator = std::fs::read(corpus.join("discriminator.safetensors")).unwrap();
    let dir = scratch_dir();
    let (cnn_dir, g_dir, d_dir) = (dir.join("cnn"), dir.join("g"), dir.join("d"));
    for dir in [&cnn_dir, &g_dir, &d_dir] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(g_dir.join(train_gan::DISCRIMINATOR_FILE), &discriminator).unwrap();
    std::fs::write(d_dir.join(train_gan::GENERATOR_FILE), &generator).unwrap();
    run(&target, |input| {
        let cnn_path = cnn_dir.join(train_cnn::MODEL_FILE);
        let g_path = g_dir.join(train_gan::GENERATOR_FILE);
        let d_path = d_dir.join(train_gan::DISCRIMINATOR_FILE);
        for path in [&cnn_path, &g_path, &d_path] {
            write_new(path, input);
        }
        let outcomes = [
            classify_blank(&cnn_path),
            draw_two(&g_path),
            judge_blank(&d_path),
            CnnResume::load(&cnn_dir).map(drop).map_err(message),
            GanResume::load(&g_dir).map(drop).map_err(message),
            GanResume::load(&d_dir).map(drop).map_err(message),
        ];
        train_cnn::previous_run(&cnn_dir);
        train_gan::previous_run(&g_dir);
        let errors: Vec<String> = outcomes.into_iter().filter_map(Result::err).collect();
        match errors.is_empty() {
            true => Ok(()),
            false => Err(errors.join("; ")),
        }
    });
}

fn classify_blank(path: &std::path::Path) -> Result<(), String> {
    let checkpoint = Checkpoint::load(path, Kind::Cnn).map_err(message)?;
    let cnn = Cnn::load(&checkpoint).map_err(message)?;
    classify_pixels(&cnn, &[0; PIXELS]).map_err(message)?;
    Ok(())
}

fn draw_two(path: &std::path::Path) -> Result<(), String> {
    let checkpoint = Checkpoint::load(path, Kind::Generator).map_err(message)?;
    let generator = Generator::load(&checkpoint).map_err(message)?;
    generator.sample(2, 1, None).map_err(message)?;
    Ok(())
}

fn judge_blank(path: &std::path::Path) -> Result<(), String> {
    let checkpoint = Checkpoint::load(path, Kind::Discriminator).map_err(message)?;
    let config = GanConfig::read(&checkpoint).map_err(message)?;
    let discriminator =
        Discriminator::new(config, checkpoint.var_builder(&VarMap::new())).map_err(message)?;
    let blank = Tensor::zeros((1, 1, 28, 28), candle_core::DType::F32, &Device::Cpu).unwrap();
    let digits = config.digits(1, None).map_err(message)?;
    discriminator
        .forward_t(&blank, digits.as_ref(), false)
        .map_err(message)?;
    Ok(())
}

/// `compare.json` as a merge reads it: loaded, described, merged on its own, and reported.
#[test]
fn compare_results() {
    let target = Target {
        name: "compare_json",
        cases: 100_000,
        dictionary: &[
            "\"shard\"",
            "\"index\"",
            "\"count\"",
            "\"status\"",
            "\"done\"",
            "\"failed\"",
        ],
        structured: Some(structure::json_value),
    };
    let dir = scratch_dir();
    run(&target, |input| {
        write_new(&dir.join(compare::JSON_FILE), input);
        compare::previous_sweep(&dir);
        let part = shard::load(&dir).map_err(message)?;
        compare::markdown(&part);
        compare::csv(&part);
        let merged = shard::merge(&[(dir.clone(), part)]).map_err(message)?;
        compare::markdown(&merged);
        Ok(())
    });
}

/// `metrics.json` as a resumed sweep reads it back, and as a claim describes it.
#[test]
fn metrics_files() {
    let target = Target {
        name: "metrics_json",
        cases: 100_000,
        dictionary: &["\"epochs\"", "\"epoch\"", "\"losses\"", "\"step\""],
        structured: Some(structure::json_value),
    };
    let dir = scratch_dir();
    let (settings, data) = seeds::sweep_run();
    run(&target, |input| {
        write_new(&dir.join(train_cnn::METRICS_FILE), input);
        train_cnn::previous_run(&dir);
        train_gan::previous_run(&dir);
        read_run(&dir, &settings, &data).map_err(message)?;
        Ok(())
    });
}
