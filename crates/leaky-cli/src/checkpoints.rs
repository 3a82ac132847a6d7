//! Loading checkpoints for the commands: the lab checks each one against its checksum, and a
//! checkpoint written before checksums gets a one-line note on standard error (as do the jobs'
//! notes).

use std::path::Path;

use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use leaky_lab::jobs::Notes;

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
        print_note(&note);
    }
}

/// Prints `leaky: note: NOTE` on standard error.
pub fn print_note(note: &str) {
    eprintln!("leaky: note: {note}");
}

/// A job's notes, on standard error.
pub struct NotesToStderr;

impl Notes for NotesToStderr {
    fn note(&mut self, note: &str) {
        print_note(note);
    }
}
