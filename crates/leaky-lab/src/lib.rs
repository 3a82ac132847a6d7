//! MNIST digits and two networks built on the `leaky` activations with candle: a CNN classifier
//! and a DCGAN-style GAN, their training loops, and the experiments on them, by floor (each
//! imports only from those above it):
//!
//! - [`files`]: atomic writes, checksummed checkpoints, metrics and locked run folders.
//! - [`data`]: the digits, read from MNIST's IDX files or the 10,000 embedded in the crate
//!   (`data/mnist-10k/`, split 8,000 for training and 2,000 held out: [`data::dataset::embedded`]).
//! - [`models`]: the CNN and the GAN.
//! - [`units`]: dead units on a data set, and measured as training goes.
//! - [`training`]: the training loops, each resumable, and the GAN's classifier score.
//! - [`experiments`]: a trained classifier's diagnosis, and activations compared on the same
//!   CNN and seeds, split across processes or machines.
//! - [`jobs`]: one entry point per job of the command line (train the CNN or the GAN, compare,
//!   merge, diagnose): each loads the data, claims its folder, resumes, trains, scores and
//!   writes its results, and reports through a progress trait.
//!
//! ```no_run
//! use leaky_lab::jobs::{CnnJob, CnnReport, Notes};
//! use leaky_lab::training::train_cnn::{CnnProgress, CnnSettings, EpochRecord};
//!
//! struct Quiet;
//! impl CnnProgress for Quiet {
//!     fn epoch_started(&mut self, _: usize, _: usize, _: usize) {}
//!     fn batch_done(&mut self, _: f32, _: usize) {}
//!     fn epoch_done(&mut self, record: &EpochRecord) {
//!         println!("epoch {}: {:.2}% held out", record.epoch, 100.0 * record.test_accuracy);
//!     }
//! }
//! impl Notes for Quiet {
//!     fn note(&mut self, note: &str) {
//!         eprintln!("note: {note}");
//!     }
//! }
//! impl CnnReport for Quiet {
//!     fn starting(&mut self, settings: &CnnSettings, data: &str) {
//!         println!("training with {} on {data}", settings.activation);
//!     }
//! }
//!
//! let mut job = CnnJob::new("runs/cnn");
//! job.changes.activation = Some("leaky_relu:alpha=0.1".parse()?);
//! job.run(&mut Quiet)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod data;
mod error;
pub mod experiments;
pub mod files;
pub mod jobs;
pub mod models;
pub mod training;
pub mod units;

pub use error::LabError;
