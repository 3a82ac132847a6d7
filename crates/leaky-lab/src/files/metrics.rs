//! Metrics as JSON files: written atomically, read back with a reason when they cannot be.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

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

/// The JSON file at `path` as a `T`; otherwise why not, as a phrase: "cannot read it: ..." or
/// "not `what`: ..." (for example "not the results of `leaky compare`: ...").
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not {what}: {e}"))
}
