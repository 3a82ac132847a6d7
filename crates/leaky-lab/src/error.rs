//! [`LabError`]: everything that can go wrong in loading data, training, and reading or writing
//! models and pictures.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::data::dataset::DataError;
use crate::files::checkpoint::CheckpointError;

/// A failure of this crate's operations.
#[derive(Debug)]
pub enum LabError {
    /// The digits could not be loaded.
    Data(DataError),
    /// A checkpoint could not be read, or is not the one needed.
    Checkpoint(CheckpointError),
    /// An input picture could not be read.
    Image {
        /// The picture.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An output file (a checkpoint, metrics, a picture) could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// An output folder could not be created (or its lock file, in it).
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// Another process is writing to the run folder (see [`crate::files::run_folder`]).
    Locked {
        /// The folder.
        dir: PathBuf,
        /// The process that holds it, if its lock file says.
        pid: Option<u32>,
    },
    /// The run folder holds another run, and neither resuming nor replacing it was asked for.
    Occupied {
        /// The folder.
        dir: PathBuf,
        /// The run found there, in words (its kind, settings and last step).
        run: String,
    },
    /// A results file (`compare.json`) could not be read back, or is not one.
    Results {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The settings are not usable (for example, they differ from those of the run being resumed).
    Settings(String),
    /// A run to resume has already trained as far as asked.
    AlreadyTrained {
        /// How far it trained.
        done: usize,
        /// In what: `epochs` or `steps`.
        unit: &'static str,
    },
    /// The measuring interval does not fit the run.
    MeasureInterval {
        /// The interval asked for, in training steps.
        every: usize,
        /// The run's training steps.
        steps: usize,
    },
    /// The training loss stopped being a finite number.
    Diverged {
        /// The epoch (from 1) in which it happened.
        epoch: usize,
    },
    /// A tensor operation failed.
    Candle(candle_core::Error),
}

impl LabError {
    /// Whether the cause is the input (data, checkpoint, picture or settings) rather than a
    /// failure to write or compute.
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            LabError::Write { .. }
                | LabError::CreateDir { .. }
                | LabError::Diverged { .. }
                | LabError::Candle(_)
        )
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabError::Data(err) => err.fmt(f),
            LabError::Checkpoint(err) => err.fmt(f),
            LabError::Image { path, message } => write!(f, "{}: {message}", path.display()),
            LabError::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            LabError::CreateDir { path, source } => write!(
                f,
                "cannot create the output directory {}: {source}",
                path.display()
            ),
            LabError::Locked { dir, pid } => write!(
                f,
                "{} is in use by another leaky process ({}): one process writes to a run folder \
                 at a time; wait for it to end, or write elsewhere",
                dir.display(),
                pid.map_or("PID unknown".to_string(), |pid| format!("PID {pid}"))
            ),
            LabError::Occupied { dir, run } => write!(
                f,
                "{} already holds {run}: resume it to continue it, or overwrite it to replace it",
                dir.display()
            ),
            LabError::Results { path, message } => write!(f, "{}: {message}", path.display()),
            LabError::Settings(message) => f.write_str(message),
            LabError::AlreadyTrained { done, unit } => write!(
                f,
                "cannot resume: the run has already trained {done} {unit}; ask for more {unit}"
            ),
            LabError::MeasureInterval { every, steps } => write!(
                f,
                "measuring every {every} steps: the interval must be from 1 to the run's {steps} \
                 training steps"
            ),
            LabError::Diverged { epoch } => write!(
                f,
                "training diverged in epoch {epoch}: the loss is no longer a finite number \
                 (a lower learning rate may help)"
            ),
            LabError::Candle(err) => write!(f, "tensor computation failed: {err}"),
        }
    }
}

impl std::error::Error for LabError {}

impl From<DataError> for LabError {
    fn from(err: DataError) -> Self {
        LabError::Data(err)
    }
}

impl From<CheckpointError> for LabError {
    fn from(err: CheckpointError) -> Self {
        LabError::Checkpoint(err)
    }
}

impl From<candle_core::Error> for LabError {
    fn from(err: candle_core::Error) -> Self {
        LabError::Candle(err)
    }
}
