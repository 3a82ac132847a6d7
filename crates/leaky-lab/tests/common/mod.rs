//! Small splits of the embedded digits, so that training tests take a second or two; and run
//! folders to train into.

use std::fs;
use std::path::Path;

use leaky_lab::data::dataset::{self, Split};
use leaky_lab::data::idx::{self, Images};
use leaky_lab::files::run_folder::{RunFolder, Start};

/// The first `train` training digits and the first `test` test digits of the embedded split.
#[allow(dead_code)] // The jobs' tests read digits from files instead.
pub fn small_split(train: usize, test: usize) -> Split {
    let full = dataset::embedded().unwrap();
    let first = |n: usize| (0..n).collect::<Vec<_>>();
    Split {
        train: full.train.select(&first(train)),
        test: full.test.select(&first(test)),
        source: format!("embedded, first {train} / {test}"),
    }
}

/// `dir` claimed for a run that replaces whatever it holds (tests train into a folder again
/// and again).
#[allow(dead_code)] // Not every test binary trains.
pub fn folder(dir: &Path) -> RunFolder {
    RunFolder::claim(dir, Start::Overwrite, |_| None).unwrap()
}

/// Writes the first `train` and `test` embedded digits to `dir` as MNIST's four IDX files.
#[allow(dead_code)] // Only the jobs' tests read digits from files.
pub fn small_mnist(dir: &Path, train: usize, test: usize) {
    let full = dataset::embedded().unwrap();
    fs::create_dir_all(dir).unwrap();
    for (digits, n, prefix) in [(&full.train, train, "train"), (&full.test, test, "t10k")] {
        let pixels: Vec<u8> = (0..n).flat_map(|i| digits.image(i).to_vec()).collect();
        let images = Images { count: n, pixels };
        fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte")),
            idx::encode_images(&images),
        )
        .unwrap();
        fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte")),
            idx::encode_labels(&digits.labels()[..n]),
        )
        .unwrap();
    }
}
