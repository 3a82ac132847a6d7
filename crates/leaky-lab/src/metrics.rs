//! Writing metrics as JSON files, atomically.

use std::path::Path;

use serde::Serialize;

use crate::atomic;
use crate::error::LabError;

/// Writes `value` as pretty-printed JSON (with a final newline) to `path`, atomically.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), LabError> {
    atomic::write_with(path, |out| {
        serde_json::to_writer_pretty(&mut *out, value)?;
        out.write_all(b"\n")
    })
    .map_err(|source| LabError::Write {
        path: path.to_path_buf(),
        source,
    })
}
