//! Checkpoints: safetensors files holding a model's weights (and optimiser state), with metadata
//! saying which kind of model it is and how to rebuild it. Written atomically.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use safetensors::SafeTensors;

use crate::atomic;
use crate::error::LabError;

/// The metadata key that marks a checkpoint written by this crate; its value is the kind.
const KIND_KEY: &str = "leaky-lab.kind";

/// Which model a checkpoint holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The digit classifier ([`crate::cnn::Cnn`]).
    Cnn,
    /// The GAN's generator ([`crate::gan::Generator`]).
    Generator,
    /// The GAN's discriminator ([`crate::gan::Discriminator`]).
    Discriminator,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Cnn => "cnn",
            Kind::Generator => "generator",
            Kind::Discriminator => "discriminator",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a checkpoint could not be read.
#[derive(Debug)]
pub enum CheckpointError {
    /// The file could not be read.
    Io {
        /// The checkpoint's path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is not a valid safetensors file, or its tensors could not be made.
    Format {
        /// The checkpoint's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file is a safetensors file, but not one written by `leaky`.
    NotLeaky {
        /// The checkpoint's path.
        path: PathBuf,
    },
    /// The checkpoint holds another kind of model.
    WrongKind {
        /// The checkpoint's path.
        path: PathBuf,
        /// The kind needed.
        expected: Kind,
        /// The kind in the file.
        found: String,
    },
    /// A metadata entry or a tensor is missing or has an unusable value.
    Invalid {
        /// The checkpoint's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Format { path, message } => {
                write!(
                    f,
                    "{}: not a valid safetensors checkpoint: {message}",
                    path.display()
                )
            }
            CheckpointError::NotLeaky { path } => write!(
                f,
                "{}: a safetensors file, but not a checkpoint written by leaky",
                path.display()
            ),
            CheckpointError::WrongKind {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: this is a {found} checkpoint, a {expected} checkpoint is needed",
                path.display()
            ),
            CheckpointError::Invalid { path, message } => {
                write!(f, "{}: invalid checkpoint: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for CheckpointError {}

/// The content of a checkpoint file: a kind, metadata strings and named tensors.
pub struct Checkpoint {
    path: PathBuf,
    kind: Kind,
    metadata: HashMap<String, String>,
    tensors: HashMap<String, Tensor>,
}

impl Checkpoint {
    /// An empty checkpoint of `kind`, to be saved at `path`.
    pub fn new(kind: Kind, path: &Path) -> Self {
        Checkpoint {
            path: path.to_path_buf(),
            kind,
            metadata: HashMap::new(),
            tensors: HashMap::new(),
        }
    }

    /// Reads the checkpoint at `path`, which must hold a model of `kind`.
    pub fn load(path: &Path, kind: Kind) -> Result<Self, CheckpointError> {
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let format_error = |message: String| CheckpointError::Format {
            path: path.to_path_buf(),
            message,
        };
        let (_, header) =
            SafeTensors::read_metadata(&bytes).map_err(|e| format_error(e.to_string()))?;
        let mut metadata = header.metadata().clone().unwrap_or_default();
        let found = metadata
            .remove(KIND_KEY)
            .ok_or_else(|| CheckpointError::NotLeaky {
                path: path.to_path_buf(),
            })?;
        if found != kind.name() {
            return Err(CheckpointError::WrongKind {
                path: path.to_path_buf(),
                expected: kind,
                found,
            });
        }
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
            .map_err(|e| format_error(e.to_string()))?;
        Ok(Checkpoint {
            path: path.to_path_buf(),
            kind,
            metadata,
            tensors,
        })
    }

    /// Writes the checkpoint to its path atomically: if writing fails, the file that was there
    /// before is left intact.
    pub fn save(&self) -> Result<(), LabError> {
        let mut metadata = self.metadata.clone();
        metadata.insert(KIND_KEY.to_string(), self.kind.name().to_string());
        let write_error = |source| LabError::Write {
            path: self.path.clone(),
            source,
        };
        let bytes = safetensors::serialize(&self.tensors, Some(metadata))
            .map_err(|e| write_error(io::Error::other(e)))?;
        atomic::write(&self.path, &bytes).map_err(write_error)
    }

    /// Sets a metadata entry.
    pub fn set(&mut self, key: &str, value: impl ToString) {
        self.metadata.insert(key.to_string(), value.to_string());
    }

    /// The metadata entry `key`, parsed.
    pub fn get<T: FromStr>(&self, key: &str) -> Result<T, CheckpointError>
    where
        T::Err: fmt::Display,
    {
        let text = self
            .metadata
            .get(key)
            .ok_or_else(|| self.invalid(format!("the metadata entry {key} is missing")))?;
        text.parse()
            .map_err(|e| self.invalid(format!("the metadata entry {key} = {text:?}: {e}")))
    }

    /// The metadata entry `key`, parsed, or `None` if the checkpoint has none (entries that
    /// older versions did not write).
    pub fn get_optional<T: FromStr>(&self, key: &str) -> Result<Option<T>, CheckpointError>
    where
        T::Err: fmt::Display,
    {
        match self.metadata.contains_key(key) {
            true => self.get(key).map(Some),
            false => Ok(None),
        }
    }

    /// Adds named tensors (the weights, an optimiser's state).
    pub fn add_tensors(&mut self, tensors: impl IntoIterator<Item = (String, Tensor)>) {
        self.tensors.extend(tensors);
    }

    /// Adds every variable of `varmap` under `prefix` + its name.
    pub fn add_vars(&mut self, prefix: &str, varmap: &VarMap) {
        let vars = varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned");
        for (name, var) in vars.iter() {
            self.tensors
                .insert(format!("{prefix}{name}"), var.as_tensor().clone());
        }
    }

    /// Sets every variable of `varmap` from the tensor `prefix` + its name, which must exist
    /// with the variable's shape.
    pub fn restore_vars(&self, prefix: &str, varmap: &VarMap) -> Result<(), CheckpointError> {
        let vars = varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned");
        for (name, var) in vars.iter() {
            let key = format!("{prefix}{name}");
            let tensor = self
                .tensors
                .get(&key)
                .ok_or_else(|| self.invalid(format!("the tensor {key} is missing")))?;
            if tensor.shape() != var.shape() {
                return Err(self.invalid(format!(
                    "the tensor {key} has shape {:?}, the model needs {:?}",
                    tensor.dims(),
                    var.dims()
                )));
            }
            var.set(tensor).map_err(|e| self.invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// All the tensors, by name.
    pub fn tensors(&self) -> &HashMap<String, Tensor> {
        &self.tensors
    }

    /// An [`CheckpointError::Invalid`] for this checkpoint.
    pub fn invalid(&self, message: String) -> CheckpointError {
        CheckpointError::Invalid {
            path: self.path.clone(),
            message,
        }
    }
}
