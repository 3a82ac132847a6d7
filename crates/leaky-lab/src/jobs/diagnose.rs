//! The diagnosis job: [`DiagnoseJob`].

use std::path::PathBuf;

use super::{Notes, load_checkpoint, load_data};
use crate::LabError;
use crate::experiments::diagnose::{Diagnosis, diagnose};
use crate::files::checkpoint::Kind;
use crate::models::cnn::Cnn;

/// Diagnoses a trained classifier on held-out digits ([`diagnose`]).
#[derive(Clone, Debug)]
pub struct DiagnoseJob {
    /// The classifier's checkpoint.
    pub checkpoint: PathBuf,
    /// Full MNIST's directory (its test digits), or `None` for the embedded held-out digits.
    pub data: Option<PathBuf>,
    /// Digits in the batch whose gradients and pre-activations are sampled.
    pub batch: usize,
}

/// What [`DiagnoseJob::run`] found.
#[derive(Clone, Debug)]
pub struct Diagnosed {
    /// The classifier's activation, as a spec.
    pub activation: String,
    /// The digits it was diagnosed on (as [`Split::source`](crate::data::dataset::Split::source)).
    pub data: String,
    /// The diagnosis.
    pub diagnosis: Diagnosis,
}

impl DiagnoseJob {
    /// Loads the checkpoint (its note, if any, to `notes`) and the digits, and diagnoses.
    pub fn run(&self, notes: &mut dyn Notes) -> Result<Diagnosed, LabError> {
        let cnn = Cnn::load(&load_checkpoint(&self.checkpoint, Kind::Cnn, notes)?)?;
        let data = load_data(self.data.as_deref())?;
        let diagnosis = diagnose(&cnn, &data.test, self.batch)?;
        Ok(Diagnosed {
            activation: cnn.config().activation.to_string(),
            data: data.source,
            diagnosis,
        })
    }
}
