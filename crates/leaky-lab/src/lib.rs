//! MNIST digits and two networks built on the `leaky` activations with candle: a CNN classifier
//! and a DCGAN-style GAN, with training loops, atomic and checksummed checkpoints, locked run
//! folders ([`run_folder`]) and resumption; and the experiments on them: dead units ([`dead`],
//! [`diagnose`], and as training goes: [`measure`]) and activations compared on the same CNN and seeds ([`compare`]), split across
//! processes or machines ([`shard`]).
//!
//! The default data are 10,000 MNIST digits embedded in the crate (`data/mnist-10k/`), split
//! 8,000 for training and 2,000 held out ([`dataset::embedded`]); [`dataset::mnist_dir`] reads
//! the full MNIST IDX files instead.
//!
//! ```no_run
//! use leaky_lab::dataset;
//! use leaky_lab::run_folder::{RunFolder, Start};
//! use leaky_lab::train_cnn::{self, CnnProgress, CnnSettings, EpochRecord, train_cnn};
//!
//! struct Quiet;
//! impl CnnProgress for Quiet {
//!     fn epoch_started(&mut self, _: usize, _: usize, _: usize) {}
//!     fn batch_done(&mut self, _: f32, _: usize) {}
//!     fn epoch_done(&mut self, record: &EpochRecord) {
//!         println!("epoch {}: {:.2}% held out", record.epoch, 100.0 * record.test_accuracy);
//!     }
//! }
//!
//! let data = dataset::embedded()?;
//! let settings = CnnSettings { activation: "leaky_relu:alpha=0.1".parse()?, ..Default::default() };
//! let out = RunFolder::claim("runs/cnn".as_ref(), Start::Fresh, train_cnn::previous_run)?;
//! train_cnn(&settings, &data, &out, None, &mut Quiet)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod atomic;
pub mod checkpoint;
mod checksum;
pub mod cnn;
pub mod compare;
pub mod dataset;
pub mod dead;
pub mod diagnose;
mod error;
pub mod gan;
pub mod idx;
pub mod images;
mod init;
pub mod measure;
pub mod metrics;
pub mod run_folder;
pub mod score;
pub mod shard;
pub mod train_cnn;
pub mod train_gan;

pub use error::LabError;
