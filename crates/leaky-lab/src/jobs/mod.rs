//! One entry point per job of the command line, each owning its whole run: it loads the digits,
//! claims its output folder ([`RunFolder`](crate::files::run_folder::RunFolder)), resumes what
//! the folder holds when asked, trains, scores, writes its metrics, and tells its caller what
//! happens through a report trait. A front end (the command line, a web page) parses its input
//! into a job, runs it, and shows the results.
//!
//! - [`CnnJob`]: train the classifier.
//! - [`GanJob`]: train the GAN and score its digits with a classifier.
//! - [`CompareJob`] and [`MergeJob`]: compare activations on the CNN, whole or in shards, and
//!   assemble the shards' results.
//! - [`DiagnoseJob`]: a trained classifier's dead units and gradients.

mod compare;
mod diagnose;
mod train_cnn;
mod train_gan;

use std::path::Path;

pub use compare::{CompareJob, CompareReport, MergeJob, default_sweep_folder};
pub use diagnose::{DiagnoseJob, Diagnosed};
pub use train_cnn::{CnnChanges, CnnJob, CnnReport};
pub use train_gan::{GanChanges, GanJob, GanReport, SCORE_SAMPLES, SCORE_SEED};

use crate::LabError;
use crate::data::dataset::{self, Split};
use crate::files::checkpoint::{Checkpoint, Kind};

/// Where a job's digits come from: the 10,000 embedded in the crate ([`dataset::embedded`]),
/// or full MNIST in a directory of IDX files ([`dataset::mnist_dir`]).
pub fn load_data(mnist_dir: Option<&Path>) -> Result<Split, LabError> {
    Ok(match mnist_dir {
        Some(dir) => dataset::mnist_dir(dir)?,
        None => dataset::embedded()?,
    })
}

/// What a job says besides its progress: a note on an input it could not fully check (a
/// checkpoint written before checksums).
pub trait Notes {
    /// One note, a sentence.
    fn note(&mut self, note: &str);
}

/// The checkpoint of `kind` at `path`, its note (if any) passed on to `notes`.
fn load_checkpoint(path: &Path, kind: Kind, notes: &mut dyn Notes) -> Result<Checkpoint, LabError> {
    let checkpoint = Checkpoint::load(path, kind)?;
    if let Some(note) = checkpoint.note() {
        notes.note(&note);
    }
    Ok(checkpoint)
}
