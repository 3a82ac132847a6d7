//! What runs leave on disk: files written atomically ([`atomic`]), checksummed checkpoints
//! ([`checkpoint`]), metrics as JSON ([`metrics`]), where a run stands ([`progress`]) and locked run folders ([`run_folder`]).

pub mod atomic;
pub mod checkpoint;
mod checksum;
pub mod metrics;
pub mod progress;
pub mod run_folder;
