//! Run folders named relative to `--runs`, and checked to stay inside it: a name is a relative
//! path of plain components (no `..`, not absolute), and its deepest part that exists,
//! symbolic links resolved, must lie inside the runs folder. Any other name is a 400 with a
//! one-line message.

use std::path::{Component, Path, PathBuf};

use leaky_show::shown;

use crate::failure::Failure;

/// The folder `name` in the runs folder `root` (canonical), its existing part resolved: a path
/// that may not exist yet, but that cannot lead outside `root`.
pub fn resolve(root: &Path, name: &str) -> Result<PathBuf, Failure> {
    let refuse = |why: &str| Failure::bad(format!("folder '{}': {why}", shown(name)));
    let mut path = root.to_path_buf();
    let mut named = false;
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => {
                path.push(part);
                named = true;
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("'..' is not allowed in a folder name")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse(
                    "absolute paths are not allowed: name a folder inside the runs folder",
                ));
            }
        }
    }
    if !named {
        return Err(refuse("name a folder inside the runs folder"));
    }
    // The deepest part that exists (a dangling link counts: resolving it fails below).
    let mut existing = path.clone();
    let mut missing = Vec::new();
    while existing.symlink_metadata().is_err() {
        missing.push(existing.file_name().expect("below the root").to_owned());
        existing.pop();
    }
    let resolved = existing
        .canonicalize()
        .map_err(|e| refuse(&format!("cannot be resolved ({e})")))?;
    if !resolved.starts_with(root) {
        return Err(refuse("it leads outside the runs folder"));
    }
    Ok(missing
        .into_iter()
        .rev()
        .fold(resolved, |path, part| path.join(part)))
}

/// How `path` (inside `root`) is named relative to it, with `/` between components.
pub fn relative(root: &Path, path: &Path) -> String {
    let parts: Vec<String> = path
        .strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_runs_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("cnn")).unwrap();
        assert_eq!(resolve(&root, "cnn").unwrap(), root.join("cnn"));
        assert_eq!(resolve(&root, "./new/run").unwrap(), root.join("new/run"));
        assert_eq!(relative(&root, &root.join("new/run")), "new/run");
        let message = |name: &str| resolve(&root, name).err().unwrap().1;
        assert_eq!(
            message("../x"),
            "folder '../x': '..' is not allowed in a folder name"
        );
        assert_eq!(
            message("cnn/../../x"),
            "folder 'cnn/../../x': '..' is not allowed in a folder name"
        );
        assert!(message("/etc").contains("absolute paths are not allowed"));
        assert_eq!(
            message(""),
            "folder '': name a folder inside the runs folder"
        );
        assert_eq!(
            message("."),
            "folder '.': name a folder inside the runs folder"
        );
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
            assert_eq!(
                message("escape/run"),
                "folder 'escape/run': it leads outside the runs folder"
            );
            std::os::unix::fs::symlink(root.join("cnn"), root.join("inside")).unwrap();
            assert_eq!(resolve(&root, "inside").unwrap(), root.join("cnn"));
            std::os::unix::fs::symlink(root.join("gone"), root.join("dangling")).unwrap();
            assert!(message("dangling").contains("cannot be resolved"));
        }
    }
}
