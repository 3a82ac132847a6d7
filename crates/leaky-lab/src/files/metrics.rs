//! Writing metrics as JSON files, atomically.

use std::path::Path;

use serde::Serialize;

use crate::error::LabError;
use crate::files::atomic;

/// Writes `value` as pretty-printed JSON (with a final newline) to `path`, atomically.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), LabError> {
    atomic::write(path, &to_json(path, value)?)
}

/// `value` as pretty-printed JSON with a final newline, to be written to `path` (which the
/// error names).
pub fn to_json(path: &Path, value: &impl Serialize) -> Result<Vec<u8>, LabError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| LabError::Write {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
