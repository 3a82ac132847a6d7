//! One writer per run folder, and no run replaced by accident.
//!
//! A job that writes into a folder ([`crate::training::train_cnn`], [`crate::training::train_gan`],
//! [`crate::experiments::compare`]) first claims it: the folder is created if needed and an exclusive lock is
//! taken on its `.lock` file, which holds the process ID of the holder. The lock is advisory
//! (only leaky processes honour it) and belongs to the open file, so the system releases it when
//! the process ends, however it ends: a `kill -9` leaves no stale lock. It is as reliable as
//! the file system's own locks (on NFS, those of the server). A second claim, from any process,
//! fails with [`LabError::Locked`] while the first holder lives.
//!
//! A folder that holds another run is refused ([`LabError::Occupied`]), unless the claim is to
//! continue that run ([`Start::Resume`]) or to replace it ([`Start::Overwrite`]).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::LabError;

/// The lock file's name in a run folder.
pub const LOCK_FILE: &str = ".lock";

/// What a job does with a run its folder may already hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Start a run; refuse a folder that holds one.
    Fresh,
    /// Continue the run in the folder.
    Resume,
    /// Start a run, replacing the one in the folder as the new one writes its files (until
    /// then, the old files stay as they were).
    Overwrite,
}

/// A run folder claimed by this process: locked for as long as the value lives.
#[derive(Debug)]
pub struct RunFolder {
    path: PathBuf,
    _lock: File,
}

impl RunFolder {
    /// Creates `dir` if needed and locks it. With [`Start::Fresh`], refuses it if `previous`
    /// (the job's reader of what a folder holds) describes a run there.
    pub fn claim(
        dir: &Path,
        start: Start,
        previous: impl FnOnce(&Path) -> Option<String>,
    ) -> Result<RunFolder, LabError> {
        let create_error = |source| LabError::CreateDir {
            path: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(create_error)?;
        let lock_path = dir.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(create_error)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LabError::Locked {
                    dir: dir.to_path_buf(),
                    pid: holder(&mut lock),
                });
            }
            Err(TryLockError::Error(source)) => return Err(create_error(source)),
        }
        // The PID is for the message of a process refused later; the lock does not depend on it.
        let pid = format!("{}\n", std::process::id());
        lock.set_len(0)
            .and_then(|()| lock.seek(SeekFrom::Start(0)))
            .and_then(|_| lock.write_all(pid.as_bytes()))
            .map_err(|source| LabError::Write {
                path: lock_path,
                source,
            })?;
        if start == Start::Fresh
            && let Some(run) = previous(dir)
        {
            return Err(LabError::Occupied {
                dir: dir.to_path_buf(),
                run,
            });
        }
        Ok(RunFolder {
            path: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The process ID in a lock file held by another process, if it has written one yet.
fn holder(lock: &mut File) -> Option<u32> {
    let mut text = String::new();
    lock.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &Path) -> Option<String> {
        None
    }

    #[test]
    fn a_second_claim_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let first = RunFolder::claim(&run, Start::Fresh, nothing).unwrap();
        assert_eq!(first.path(), run);
        let err = RunFolder::claim(&run, Start::Resume, nothing).unwrap_err();
        let pid = std::process::id();
        assert!(matches!(err, LabError::Locked { pid: Some(p), .. } if p == pid));
        assert!(
            err.to_string().starts_with(&format!(
                "{} is in use by another leaky process (PID {pid})",
                run.display()
            )),
            "{err}"
        );
        drop(first);
        RunFolder::claim(&run, Start::Fresh, nothing).unwrap();
    }

    #[test]
    fn a_folder_holding_a_run_is_refused_unless_resumed_or_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let found = |_: &Path| Some("a run (relu, epoch 2 done)".to_string());
        let err = RunFolder::claim(dir.path(), Start::Fresh, found).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} already holds a run (relu, epoch 2 done): resume it to continue it, or \
                 overwrite it to replace it",
                dir.path().display()
            )
        );
        drop(RunFolder::claim(dir.path(), Start::Resume, found).unwrap());
        drop(RunFolder::claim(dir.path(), Start::Overwrite, found).unwrap());
    }

    #[test]
    fn a_folder_that_cannot_be_created_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "not a folder").unwrap();
        let err = RunFolder::claim(&file.join("run"), Start::Fresh, nothing).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "cannot create the output directory {}",
                file.join("run").display()
            )),
            "{err}"
        );
    }
}
