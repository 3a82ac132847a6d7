//! Loading digits: the embedded split, and MNIST directories with good and broken files.

use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use leaky_lab::data::dataset::{self, DataError, Digits, epoch_order, shuffled_split};
use leaky_lab::data::idx::{self, IdxError, Images, PIXELS};

/// `count` digits whose first two pixels spell their index, so every image is distinct.
fn numbered(count: usize) -> (Images, Vec<u8>) {
    let mut pixels = vec![0u8; count * PIXELS];
    for i in 0..count {
        pixels[i * PIXELS] = (i / 256) as u8;
        pixels[i * PIXELS + 1] = (i % 256) as u8;
    }
    let labels = (0..count).map(|i| (i % 10) as u8).collect();
    (Images { count, pixels }, labels)
}

fn index_of(digits: &Digits, i: usize) -> usize {
    let image = digits.image(i);
    usize::from(image[0]) * 256 + usize::from(image[1])
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes an MNIST directory: train files raw, test files gzipped.
fn write_mnist(dir: &Path, train: usize, test: usize) {
    let (images, labels) = numbered(train);
    fs::write(
        dir.join("train-images-idx3-ubyte"),
        idx::encode_images(&images),
    )
    .unwrap();
    fs::write(
        dir.join("train-labels-idx1-ubyte"),
        idx::encode_labels(&labels),
    )
    .unwrap();
    let (images, labels) = numbered(test);
    fs::write(
        dir.join("t10k-images-idx3-ubyte.gz"),
        gzip(&idx::encode_images(&images)),
    )
    .unwrap();
    fs::write(
        dir.join("t10k-labels-idx1-ubyte.gz"),
        gzip(&idx::encode_labels(&labels)),
    )
    .unwrap();
}

#[test]
fn the_embedded_split_is_deterministic_complete_and_shuffled() {
    let a = dataset::embedded().unwrap();
    let b = dataset::embedded().unwrap();
    assert_eq!((a.train.len(), a.test.len()), (8000, 2000));
    assert_eq!(a.train, b.train);
    assert_eq!(a.test, b.test);
    // Together they hold every digit: the class counts of the README.
    let mut counts = [0; 10];
    for &label in a.train.labels().iter().chain(a.test.labels()) {
        counts[usize::from(label)] += 1;
    }
    assert_eq!(
        counts,
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    // The files are sorted by label; the test part must hold every class in fair numbers.
    let mut test_counts = [0; 10];
    for &label in a.test.labels() {
        test_counts[usize::from(label)] += 1;
    }
    assert!(
        test_counts.iter().all(|&n| (120..=280).contains(&n)),
        "{test_counts:?}"
    );
}

#[test]
fn the_split_is_disjoint_and_depends_on_the_seed() {
    let (images, labels) = numbered(1000);
    let raw = (idx::encode_images(&images), idx::encode_labels(&labels));
    let digits = Digits::from_idx(&raw.0, "i".as_ref(), &raw.1, "l".as_ref()).unwrap();
    let (train, test) = shuffled_split(&digits, 200, 3);
    assert_eq!((train.len(), test.len()), (800, 200));
    let mut seen: Vec<usize> = (0..train.len())
        .map(|i| index_of(&train, i))
        .chain((0..test.len()).map(|i| index_of(&test, i)))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        (0..1000).collect::<Vec<_>>(),
        "every digit exactly once"
    );
    assert_eq!(shuffled_split(&digits, 200, 3).1, test);
    assert_ne!(shuffled_split(&digits, 200, 4).1, test);
}

#[test]
fn epoch_orders_are_permutations_that_change_with_the_epoch() {
    let first = epoch_order(100, 1, 1);
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    assert_eq!(first, epoch_order(100, 1, 1));
    assert_ne!(first, epoch_order(100, 1, 2));
}

#[test]
fn reads_an_mnist_directory_raw_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 30, 20);
    let split = dataset::mnist_dir(dir.path()).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (30, 20));
    assert_eq!(
        index_of(&split.train, 29),
        29,
        "the train files keep their order"
    );
    assert!(
        split.source.contains("30 train / 20 test"),
        "{}",
        split.source
    );
}

#[test]
fn written_digits_read_back_the_same() {
    let full = dataset::embedded().unwrap();
    let split = dataset::Split {
        train: full.train.select(&[5, 0, 7]),
        test: full.test.select(&[3, 1]),
        source: "some digits".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new/mnist");
    dataset::write_mnist_dir(&split, &out).unwrap();
    let read = dataset::mnist_dir(&out).unwrap();
    assert_eq!((&read.train, &read.test), (&split.train, &split.test));
    // A file in the way of the folder is named.
    let blocked = dir.path().join("file");
    fs::write(&blocked, "x").unwrap();
    let err = dataset::write_mnist_dir(&split, &blocked.join("mnist")).unwrap_err();
    assert!(err.to_string().contains("file"), "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 30, 20);
    fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = dataset::mnist_dir(dir.path()).unwrap_err();
    assert!(matches!(
        err,
        DataError::Missing {
            name: "t10k-labels-idx1-ubyte",
            ..
        }
    ));
    assert!(
        err.to_string().contains("t10k-labels-idx1-ubyte.gz"),
        "{err}"
    );
}

#[test]
fn corrupt_files_are_reported_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 30, 20);
    let path = dir.path().join("train-images-idx3-ubyte");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let err = dataset::mnist_dir(dir.path()).unwrap_err();
    assert!(
        matches!(&err, DataError::Corrupt { path: p, source: IdxError::LengthMismatch { .. } } if *p == path),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("train-images-idx3-ubyte: truncated"),
        "{err}"
    );
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist(dir.path(), 30, 20);
    let (_, labels) = numbered(29);
    fs::write(
        dir.path().join("train-labels-idx1-ubyte"),
        idx::encode_labels(&labels),
    )
    .unwrap();
    let err = dataset::mnist_dir(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 30,
                labels: 29,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("holds 30 images but"), "{err}");
}
