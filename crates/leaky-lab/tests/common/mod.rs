//! Small splits of the embedded digits, so that training tests take a second or two; and run
//! folders to train into.

use std::path::Path;

use leaky_lab::data::dataset::{self, Split};
use leaky_lab::files::run_folder::{RunFolder, Start};

/// The first `train` training digits and the first `test` test digits of the embedded split.
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
    dataset::write_mnist_dir(&small_split(train, test), dir).unwrap();
}
