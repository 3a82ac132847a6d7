//! Loading checkpoints for the commands: the lab checks each one against its checksum, and a
//! checkpoint written before checksums gets a one-line note on standard error.

use std::path::Path;

use leaky_lab::checkpoint::{Checkpoint, Kind};

use crate::error::CliError;

/// The checkpoint of `kind` at `path`, checked (with a note if it could not be).
pub fn load(path: &Path, kind: Kind) -> Result<Checkpoint, CliError> {
    let checkpoint = Checkpoint::load(path, kind)?;
    print_notes(checkpoint.note());
    Ok(checkpoint)
}

/// Prints each note as `leaky: note: ...` on standard error.
pub fn print_notes(notes: impl IntoIterator<Item = String>) {
    for note in notes {
        eprintln!("leaky: note: {note}");
    }
}
