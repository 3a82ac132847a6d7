//! Digit datasets: the 10,000 digits embedded in this crate (split 8,000 / 2,000), or the full
//! MNIST files in a directory; and the conversion of a batch of digits into tensors.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use candle_core::{Device, Result as CandleResult, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::idx::{self, IdxError, Images, PIXELS};
use crate::error::LabError;
use crate::files::atomic;

/// The embedded images: the first 10,000 MNIST training images, sorted by label (see `data/mnist-10k/README.md`).
const EMBEDDED_IMAGES: &[u8] = include_bytes!("../../../../data/mnist-10k/images-idx3-ubyte.gz");
/// The embedded labels.
const EMBEDDED_LABELS: &[u8] = include_bytes!("../../../../data/mnist-10k/labels-idx1-ubyte.gz");
/// How many embedded digits are held out for testing.
pub const EMBEDDED_TEST_LEN: usize = 2_000;
/// The seed of the shuffle that splits the embedded digits: fixed, so that every run, whatever
/// its `--seed`, is tested on the same 2,000 digits.
pub const SPLIT_SEED: u64 = 20_240_601;

/// Why digits could not be loaded.
#[derive(Debug)]
pub enum DataError {
    /// Neither `NAME` nor `NAME.gz` is in the directory.
    Missing {
        /// The directory searched.
        dir: PathBuf,
        /// The file name without `.gz`.
        name: &'static str,
    },
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A file is not a valid IDX file of the kind needed.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: IdxError,
    },
    /// The image and label files hold different numbers of digits.
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Its number of images.
        images: usize,
        /// The label file.
        labels_path: PathBuf,
        /// Its number of labels.
        labels: usize,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Missing { dir, name } => write!(
                f,
                "{}: neither {name} nor {name}.gz is there (expected the MNIST files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, raw or .gz)",
                dir.display()
            ),
            DataError::Read { path, source } => write!(f, "{}: {source}", path.display()),
            DataError::Corrupt { path, source } => write!(f, "{}: {source}", path.display()),
            DataError::CountMismatch {
                images_path,
                images,
                labels_path,
                labels,
            } => write!(
                f,
                "{} holds {images} images but {} holds {labels} labels",
                images_path.display(),
                labels_path.display()
            ),
        }
    }
}

impl std::error::Error for DataError {}

/// Labelled 28x28 digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl Digits {
    /// Digits from IDX image and label file contents (raw or gzip); the paths are for messages.
    pub fn from_idx(
        images: &[u8],
        images_path: &Path,
        labels: &[u8],
        labels_path: &Path,
    ) -> Result<Self, DataError> {
        let corrupt = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DataError::Corrupt { path, source }
        };
        let images = idx::parse_images(images).map_err(corrupt(images_path))?;
        let labels = idx::parse_labels(labels).map_err(corrupt(labels_path))?;
        if images.count != labels.len() {
            return Err(DataError::CountMismatch {
                images_path: images_path.to_path_buf(),
                images: images.count,
                labels_path: labels_path.to_path_buf(),
                labels: labels.len(),
            });
        }
        Ok(Digits {
            pixels: images.pixels,
            labels,
        })
    }

    /// How many digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels, 0 to 9.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The 784 pixels of digit `i` (row-major, 0 = background, 255 = ink).
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }

    /// The digits at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Digits {
        Digits {
            pixels: indices
                .iter()
                .flat_map(|&i| self.image(i))
                .copied()
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// The images at `indices` as a `(n, 1, 28, 28)` f32 tensor, each pixel mapped by `scale`.
    pub fn images_tensor(&self, indices: &[usize], scale: Scale) -> CandleResult<Tensor> {
        self.shifted_images_tensor(indices, &vec![(0, 0); indices.len()], scale)
    }

    /// As [`Digits::images_tensor`], with image `k` moved by `shifts[k]` = (right, down) whole
    /// pixels (negative: left, up); the pixels uncovered are background.
    pub fn shifted_images_tensor(
        &self,
        indices: &[usize],
        shifts: &[(i32, i32)],
        scale: Scale,
    ) -> CandleResult<Tensor> {
        let side = idx::SIDE as i32;
        let background = scale.apply(0);
        let mut values = Vec::with_capacity(indices.len() * PIXELS);
        for (&i, &(dx, dy)) in indices.iter().zip(shifts) {
            let image = self.image(i);
            for y in 0..side {
                for x in 0..side {
                    let (sx, sy) = (x - dx, y - dy);
                    values.push(if (0..side).contains(&sx) && (0..side).contains(&sy) {
                        scale.apply(image[(sy * side + sx) as usize])
                    } else {
                        background
                    });
                }
            }
        }
        Tensor::from_vec(
            values,
            (indices.len(), 1, idx::SIDE, idx::SIDE),
            &Device::Cpu,
        )
    }

    /// The labels at `indices` as a `(n,)` u32 tensor.
    pub fn labels_tensor(&self, indices: &[usize]) -> CandleResult<Tensor> {
        let labels: Vec<u32> = indices.iter().map(|&i| u32::from(self.labels[i])).collect();
        Tensor::from_vec(labels, indices.len(), &Device::Cpu)
    }
}

/// How pixels (0..=255) become model inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// Standardised with MNIST's mean and deviation: `(p/255 - 0.1307) / 0.3081` (the classifier).
    Standard,
    /// Mapped to [-1, 1]: `p/127.5 - 1` (the GAN, whose generator ends in tanh).
    Symmetric,
}

impl Scale {
    /// The model input for pixel `p`.
    pub fn apply(self, p: u8) -> f32 {
        let p = f32::from(p);
        match self {
            Scale::Standard => (p / 255.0 - 0.1307) / 0.3081,
            Scale::Symmetric => p / 127.5 - 1.0,
        }
    }
}

/// Training digits and held-out test digits.
#[derive(Clone, Debug)]
pub struct Split {
    /// The digits to train on.
    pub train: Digits,
    /// The digits to test on, never trained on.
    pub test: Digits,
    /// Where they came from, for reports: `"mnist-10k (embedded): 8000 train / 2000 held out"`.
    pub source: String,
}

/// The embedded 10,000 digits, shuffled with [`SPLIT_SEED`] and split into 8,000 training and
/// 2,000 test digits. (They are MNIST *training* images: accuracy on the 2,000 is not "MNIST test
/// accuracy".)
pub fn embedded() -> Result<Split, DataError> {
    let digits = Digits::from_idx(
        EMBEDDED_IMAGES,
        Path::new("data/mnist-10k/images-idx3-ubyte.gz"),
        EMBEDDED_LABELS,
        Path::new("data/mnist-10k/labels-idx1-ubyte.gz"),
    )?;
    let (train, test) = shuffled_split(&digits, EMBEDDED_TEST_LEN, SPLIT_SEED);
    let source = format!(
        "mnist-10k (embedded): {} train / {} held out",
        train.len(),
        test.len()
    );
    Ok(Split {
        train,
        test,
        source,
    })
}

/// The full MNIST dataset from `dir`: `train-*` files for training, `t10k-*` for testing.
pub fn mnist_dir(dir: &Path) -> Result<Split, DataError> {
    let load = |images: &'static str, labels: &'static str| {
        let images_path = find(dir, images)?;
        let labels_path = find(dir, labels)?;
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| DataError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        Digits::from_idx(
            &read(&images_path)?,
            &images_path,
            &read(&labels_path)?,
            &labels_path,
        )
    };
    let train = load("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let test = load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    let source = format!(
        "MNIST from {}: {} train / {} test",
        dir.display(),
        train.len(),
        test.len()
    );
    Ok(Split {
        train,
        test,
        source,
    })
}

/// Writes `split` to `dir` (created if needed) as MNIST's four uncompressed IDX files, which
/// [`mnist_dir`] reads back: a subset of the digits to train on, or to test with.
pub fn write_mnist_dir(split: &Split, dir: &Path) -> Result<(), LabError> {
    std::fs::create_dir_all(dir).map_err(|source| LabError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for (digits, prefix) in [(&split.train, "train"), (&split.test, "t10k")] {
        let images = Images {
            count: digits.len(),
            pixels: digits.pixels.clone(),
        };
        atomic::write(
            &dir.join(format!("{prefix}-images-idx3-ubyte")),
            &idx::encode_images(&images),
        )?;
        atomic::write(
            &dir.join(format!("{prefix}-labels-idx1-ubyte")),
            &idx::encode_labels(digits.labels()),
        )?;
    }
    Ok(())
}

/// `dir/name`, or `dir/name.gz`, whichever exists.
fn find(dir: &Path, name: &'static str) -> Result<PathBuf, DataError> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if raw.is_file() {
        Ok(raw)
    } else if gz.is_file() {
        Ok(gz)
    } else {
        Err(DataError::Missing {
            dir: dir.to_path_buf(),
            name,
        })
    }
}

/// Shuffles the digits with `seed` and splits them: the last `test_len` are the test set.
pub fn shuffled_split(digits: &Digits, test_len: usize, seed: u64) -> (Digits, Digits) {
    let mut order: Vec<usize> = (0..digits.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let cut = digits.len().saturating_sub(test_len);
    (digits.select(&order[..cut]), digits.select(&order[cut..]))
}

/// The order in which epoch `epoch` visits `len` training digits: a shuffle that depends only on
/// the seed and the epoch, so that a resumed run sees the same batches as an uninterrupted one.
pub fn epoch_order(len: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let epoch_seed = seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    order.shuffle(&mut StdRng::seed_from_u64(epoch_seed));
    order
}
