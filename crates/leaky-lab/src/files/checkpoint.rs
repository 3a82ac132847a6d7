//! Checkpoints: safetensors files holding a model's weights (and optimiser state), with metadata
//! saying which kind of model it is and how to rebuild it, and a checksum of all of it (CRC-32
//! of the metadata and the tensors) that every load checks. Written atomically.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use safetensors::{SafeTensors, View};

use crate::error::LabError;
use crate::files::atomic;
use crate::files::checksum::{checksum, is_checksum};

/// The widest layer (channels, units, noise inputs) a checkpoint's metadata may announce.
pub const MAX_WIDTH: usize = 1 << 16;
/// The metadata key that marks a checkpoint written by this crate; its value is the kind.
const KIND_KEY: &str = "leaky-lab.kind";
/// The metadata key of the checkpoint's checksum (absent from checkpoints written before it).
const CHECKSUM_KEY: &str = "leaky-lab.checksum";

/// Which model a checkpoint holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The digit classifier ([`crate::models::cnn::Cnn`]).
    Cnn,
    /// The GAN's generator ([`crate::models::gan::Generator`]).
    Generator,
    /// The GAN's discriminator ([`crate::models::gan::Discriminator`]).
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
    /// The content does not match the checksum saved with it: the file was damaged or changed
    /// after it was written.
    Corrupt {
        /// The checkpoint's path.
        path: PathBuf,
        /// What does not match.
        message: String,
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
            CheckpointError::Corrupt { path, message } => {
                write!(f, "{}: corrupt checkpoint: {message}", path.display())
            }
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
    checked: bool,
}

impl Checkpoint {
    /// An empty checkpoint of `kind`, to be saved at `path`.
    pub fn new(kind: Kind, path: &Path) -> Self {
        Checkpoint {
            path: path.to_path_buf(),
            kind,
            metadata: HashMap::new(),
            tensors: HashMap::new(),
            checked: false,
        }
    }

    /// Reads the checkpoint at `path`, which must hold a model of `kind`, and checks its content
    /// against its checksum; one written before checksums loads unchecked ([`Checkpoint::note`]).
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
        let file = SafeTensors::deserialize(&bytes).map_err(|e| format_error(e.to_string()))?;
        let mut metadata = header.metadata().clone().unwrap_or_default();
        let saved_checksum = metadata.remove(CHECKSUM_KEY);
        if saved_checksum.is_none() && metadata.values().any(|value| is_checksum(value)) {
            return Err(CheckpointError::Corrupt {
                path: path.to_path_buf(),
                message: "its checksum entry is damaged".into(),
            });
        }
        if let Some(saved) = &saved_checksum {
            let views = file.tensors();
            let content = checksum(
                &metadata,
                views
                    .iter()
                    .map(|(name, view)| (name.as_str(), view as &dyn View)),
            );
            if &content != saved {
                return Err(CheckpointError::Corrupt {
                    path: path.to_path_buf(),
                    message: format!(
                        "its content has checksum {content}, but {saved} was saved with it \
                         (the file was damaged or changed after it was written)"
                    ),
                });
            }
        }
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
            checked: saved_checksum.is_some(),
        })
    }

    /// A one-line note for the user when the checkpoint was loaded without a check (it was
    /// written before checkpoints carried a checksum).
    pub fn note(&self) -> Option<String> {
        (!self.checked).then(|| {
            format!(
                "{} has no checksum (it was written by an older leaky): its content is not checked",
                self.path.display()
            )
        })
    }

    /// Writes the checkpoint to its path atomically: if writing fails, the file that was there
    /// before is left intact.
    pub fn save(&self) -> Result<(), LabError> {
        atomic::write(&self.path, &self.to_bytes()?)
    }

    /// The file's bytes, with the kind and the checksum in the metadata.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LabError> {
        let mut metadata = self.metadata.clone();
        metadata.insert(KIND_KEY.to_string(), self.kind.name().to_string());
        let content = checksum(
            &metadata,
            self.tensors
                .iter()
                .map(|(name, tensor)| (name.as_str(), tensor as &dyn View)),
        );
        metadata.insert(CHECKSUM_KEY.to_string(), content);
        safetensors::serialize(&self.tensors, Some(metadata)).map_err(|e| LabError::Write {
            path: self.path.clone(),
            source: io::Error::other(e),
        })
    }

    /// The file the checkpoint was read from, or will be saved to.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// The metadata entry `key`, parsed, which must lie in `range`: how a network's sizes are
    /// read, so that a damaged entry cannot ask for an absurd network.
    pub fn get_within<T>(&self, key: &str, range: RangeInclusive<T>) -> Result<T, CheckpointError>
    where
        T: FromStr + PartialOrd + fmt::Display,
        T::Err: fmt::Display,
    {
        let value: T = self.get(key)?;
        if !range.contains(&value) {
            return Err(self.invalid(format!(
                "the metadata entry {key} = {value} is not from {} to {}",
                range.start(),
                range.end()
            )));
        }
        Ok(value)
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

    /// A var builder that makes each variable a model asks for from the tensor of the same
    /// name, and adds it to `varmap`: a missing tensor, or one of another shape, is an error
    /// before anything is allocated, so a model built through it is never larger than the
    /// checkpoint's tensors (whatever its metadata says).
    pub fn var_builder(&self, varmap: &VarMap) -> VarBuilder<'static> {
        let backend = Restoring {
            tensors: self.tensors.clone(),
            varmap: varmap.clone(),
        };
        VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu)
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

    /// A [`CheckpointError::Invalid`] for this checkpoint.
    pub fn invalid(&self, message: String) -> CheckpointError {
        CheckpointError::Invalid {
            path: self.path.clone(),
            message,
        }
    }
}

/// The backend of [`Checkpoint::var_builder`].
struct Restoring {
    tensors: HashMap<String, Tensor>,
    varmap: VarMap,
}

impl SimpleBackend for Restoring {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.get_unchecked(name, dtype, dev)?;
        if tensor.shape() != &shape {
            candle_core::bail!(
                "the tensor {name} has shape {:?}, the model needs {:?}",
                tensor.dims(),
                shape.dims()
            );
        }
        let var = Var::from_tensor(&tensor)?;
        self.varmap
            .data()
            .lock()
            .expect("the var map lock is never poisoned")
            .insert(name.to_string(), var.clone());
        Ok(var.into_inner())
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        match self.tensors.get(name) {
            Some(tensor) => tensor.to_device(dev)?.to_dtype(dtype),
            None => candle_core::bail!("the tensor {name} is missing"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }
}
