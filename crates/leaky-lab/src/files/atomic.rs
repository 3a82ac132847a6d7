//! Atomic file writes: the content goes to a temporary file in the same directory, which is
//! flushed to disk and then renamed over the target. A reader, or a run that is interrupted,
//! sees the old file or the new one, never a mix; a write that fails part-way (a full disk, a
//! file size limit, a read-only folder) leaves the old file as it was and no temporary file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::LabError;

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), LabError> {
    write_with(path, |out| out.write_all(bytes))
}

/// Writes to `path` atomically what `fill` writes: if `fill` or anything after it fails, the
/// temporary file is removed and `path` is left as it was. The error names `path`.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), LabError> {
    let temp = prepare(path, fill)?;
    commit(&[(path, temp)])
}

/// Writes several files as one: every file goes to its temporary file first, and only when all
/// of them are written and flushed are they renamed into place, in order. A failure while
/// writing any of them (the usual way a full disk shows) leaves every target as it was; only a
/// failing rename, which needs no space, could leave the earlier ones replaced.
pub fn write_together(files: &[(&Path, &[u8])]) -> Result<(), LabError> {
    let mut prepared: Vec<(&Path, PathBuf)> = Vec::with_capacity(files.len());
    for &(path, bytes) in files {
        match prepare(path, |out| out.write_all(bytes)) {
            Ok(temp) => prepared.push((path, temp)),
            Err(err) => {
                for (_, temp) in &prepared {
                    let _ = fs::remove_file(temp);
                }
                return Err(err);
            }
        }
    }
    commit(&prepared)
}

/// Writes what `fill` writes to `path`'s temporary file and flushes it to disk; returns the
/// temporary file's path, or removes it and fails naming `path`.
fn prepare(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<PathBuf, LabError> {
    let temp = temp_path(path).map_err(|source| write_error(path, source))?;
    let written = (|| {
        let mut out = BufWriter::new(File::create(&temp)?);
        fill(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(temp),
        Err(source) => {
            // The temporary file may not exist (creating it may be what failed).
            let _ = fs::remove_file(&temp);
            Err(write_error(path, source))
        }
    }
}

/// Renames each temporary file over its target, in order, then flushes the directories so that
/// the renames survive a power cut. On a failure the remaining temporary files are removed.
fn commit(prepared: &[(&Path, PathBuf)]) -> Result<(), LabError> {
    for (i, (path, temp)) in prepared.iter().enumerate() {
        if let Err(source) = fs::rename(temp, path) {
            for (_, temp) in &prepared[i..] {
                let _ = fs::remove_file(temp);
            }
            return Err(write_error(path, source));
        }
    }
    for (path, _) in prepared {
        sync_directory(path);
    }
    Ok(())
}

/// Flushes the directory holding `path`, where the platform allows it. Best effort: the rename
/// is already visible to every reader, and some file systems refuse to sync a directory.
fn sync_directory(path: &Path) {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn write_error(path: &Path, source: io::Error) -> LabError {
    LabError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// `DIR/.NAME.tmp-PID` beside `DIR/NAME`: hidden, and unique to this process.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    Ok(path.with_file_name(temp_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("leaky-lab-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file() {
        let dir = temp_dir("replace");
        let path = dir.join("a.txt");
        write(&path, b"old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(&dir), ["a.txt"], "no temporary file is left");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = temp_dir("fail");
        let path = dir.join("a.txt");
        write(&path, b"old").unwrap();
        let err = write_with(&path, |out| {
            out.write_all(&[b'x'; 100_000])?;
            Err(io::Error::other("no space left on device"))
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write {}: no space left on device", path.display())
        );
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names(&dir), ["a.txt"], "no temporary file is left");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn fails_when_the_directory_does_not_exist() {
        let dir = temp_dir("missing");
        let err = write(&dir.join("no/such/dir/a.txt"), b"x").unwrap_err();
        assert!(err.to_string().contains("no/such/dir/a.txt"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    /// A checkpoint and its metrics: when the second cannot be written (its temporary file's
    /// name is taken by a directory, as a full disk would stop it), neither is replaced.
    #[test]
    fn files_written_together_are_all_replaced_or_none() {
        let dir = temp_dir("together");
        let (model, metrics) = (dir.join("model"), dir.join("metrics"));
        write_together(&[(&model, b"model 1"), (&metrics, b"metrics 1")]).unwrap();
        fs::create_dir(temp_path(&metrics).unwrap()).unwrap();
        let err = write_together(&[(&model, b"model 2"), (&metrics, b"metrics 2")]).unwrap_err();
        assert!(
            err.to_string().contains(&*metrics.to_string_lossy()),
            "{err}"
        );
        assert_eq!(fs::read(&model).unwrap(), b"model 1");
        assert_eq!(fs::read(&metrics).unwrap(), b"metrics 1");
        fs::remove_dir(temp_path(&metrics).unwrap()).unwrap();
        assert_eq!(
            names(&dir),
            ["metrics", "model"],
            "no temporary file is left"
        );
        write_together(&[(&model, b"model 2"), (&metrics, b"metrics 2")]).unwrap();
        assert_eq!(fs::read(&metrics).unwrap(), b"metrics 2");
        fs::remove_dir_all(dir).unwrap();
    }
}
