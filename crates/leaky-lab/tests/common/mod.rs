//! Small splits of the embedded digits, so that training tests take a second or two.

use leaky_lab::dataset::{self, Split};

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
