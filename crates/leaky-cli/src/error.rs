//! The CLI's error: a one-line message and an exit code (2 for usage, 1 for everything else).

use std::fmt;
use std::io;
use std::process::ExitCode;

/// A failed command.
#[derive(Debug)]
pub enum CliError {
    /// The arguments or the input data are wrong: exit code 2.
    Usage(String),
    /// Reading or writing failed, or the work itself failed: exit code 1.
    Failure(String),
    /// Standard output was closed by the reader (`leaky eval ... | head`): not an error.
    BrokenPipe,
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failure(_) => ExitCode::from(1),
            CliError::BrokenPipe => ExitCode::SUCCESS,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(msg) | CliError::Failure(msg) => f.write_str(msg),
            CliError::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

impl From<leaky_show::ShowError> for CliError {
    fn from(err: leaky_show::ShowError) -> Self {
        CliError::Usage(err.0)
    }
}

impl From<leaky::Error> for CliError {
    fn from(err: leaky::Error) -> Self {
        CliError::Usage(err.to_string())
    }
}

#[cfg(feature = "networks")]
impl From<leaky_lab::LabError> for CliError {
    /// Bad data, checkpoints, pictures or settings are usage errors; failures to write or
    /// compute are failures.
    /// The lab's errors that name a setting name its flag here.
    fn from(err: leaky_lab::LabError) -> Self {
        use leaky_lab::LabError;
        let message = match &err {
            LabError::Occupied { dir, run } => format!(
                "{} already holds {run}: continue it with --resume, or replace it with --overwrite",
                dir.display()
            ),
            LabError::AlreadyTrained { done, unit } => format!(
                "cannot resume: the run has already trained {done} {unit}; ask for more with --{unit}"
            ),
            LabError::MeasureInterval { every, steps } => format!(
                "--measure-every {every}: must be from 1 to the run's {steps} training steps"
            ),
            LabError::Diverged { epoch } => format!(
                "training diverged in epoch {epoch}: the loss is no longer a finite number \
                 (a lower --lr may help)"
            ),
            _ => err.to_string(),
        };
        match err.is_input_error() {
            true => CliError::Usage(message),
            false => CliError::Failure(message),
        }
    }
}

#[cfg(feature = "networks")]
impl From<leaky_lab::files::checkpoint::CheckpointError> for CliError {
    fn from(err: leaky_lab::files::checkpoint::CheckpointError) -> Self {
        leaky_lab::LabError::from(err).into()
    }
}

#[cfg(feature = "networks")]
impl From<leaky_lab::data::dataset::DataError> for CliError {
    fn from(err: leaky_lab::data::dataset::DataError) -> Self {
        leaky_lab::LabError::from(err).into()
    }
}

impl From<io::Error> for CliError {
    /// Write errors on standard output; a closed pipe is quietly a success.
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::Failure(format!("cannot write to standard output: {err}"))
        }
    }
}
