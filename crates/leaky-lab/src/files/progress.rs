//! `progress.json`: where a `train cnn` run stands while an epoch runs, for a reader that follows
//! it live (`leaky serve`'s experiments page). `metrics.json` and the checkpoint are written
//! after each epoch only; this file is rewritten, atomically, at each measurement of the units
//! ([`crate::units::measure`]), so it exists only for runs that measure (the default).
//!
//! It holds the run's position (epoch, step, and their totals), the measurements so far (those of
//! earlier epochs and of a resumed run's earlier part included), and the training loss against
//! step: at each measurement, the mean loss of the batches trained since the previous one. A
//! resumed run keeps the loss points of its earlier part that its checkpoint covers.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::files::metrics::{read_json, write_json};
use crate::units::measure::StepRecord;

/// The progress file's name in a run folder.
pub const PROGRESS_FILE: &str = "progress.json";

/// The mean training loss of the batches before `step`, since the previous point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLoss {
    /// The training steps done.
    pub step: usize,
    /// The mean cross-entropy of the batches trained since the previous point.
    pub loss: f64,
    /// How many batches that mean is over.
    pub batches: usize,
}

/// The content of `progress.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The epoch under way, from 1.
    pub epoch: usize,
    /// The epochs the run was asked for.
    pub epochs: usize,
    /// The training steps done.
    pub step: usize,
    /// The training steps of the whole run.
    pub total_steps: usize,
    /// The training loss against step.
    pub losses: Vec<StepLoss>,
    /// The measurements so far, in step order.
    pub measured: Vec<StepRecord>,
}

impl Progress {
    /// Reads `dir/progress.json`.
    pub fn read(dir: &Path) -> Result<Progress, LabError> {
        let path = dir.join(PROGRESS_FILE);
        read_json(&path, "the progress of `leaky train cnn`")
            .map_err(|message| LabError::Results { path, message })
    }

    /// Writes it to `dir/progress.json`, atomically.
    pub fn write(&self, dir: &Path) -> Result<(), LabError> {
        write_json(&dir.join(PROGRESS_FILE), self)
    }

    /// Whether the run has trained every step.
    pub fn finished(&self) -> bool {
        self.step >= self.total_steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_back_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let progress = Progress {
            epoch: 2,
            epochs: 3,
            step: 700,
            total_steps: 1500,
            losses: vec![StepLoss {
                step: 700,
                loss: 0.25,
                batches: 12,
            }],
            measured: Vec::new(),
        };
        progress.write(dir.path()).unwrap();
        assert_eq!(Progress::read(dir.path()).unwrap(), progress);
        assert!(!progress.finished());
        std::fs::write(dir.path().join(PROGRESS_FILE), "{").unwrap();
        let err = Progress::read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("not the progress of `leaky train cnn`"),
            "{err}"
        );
    }
}
