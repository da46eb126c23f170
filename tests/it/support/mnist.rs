//! MNIST for tests: the real files when present, synthetic sets otherwise.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use lenet::data::{IdxArray, Mnist, MnistSplit, Split, encode_idx};

/// The real MNIST directory: `$LENET_DATA_DIR`, else `../shared/data/mnist` beside
/// the crate. `None` (after printing why) when the files are not there, so tests
/// that need them skip visibly.
pub fn real_mnist_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("LENET_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"));
    let present = [Split::Train, Split::Test]
        .into_iter()
        .flat_map(|split| [split.images_file(), split.labels_file()])
        .all(|stem| dir.join(format!("{stem}.gz")).is_file() || dir.join(stem).is_file());
    if present {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: the real MNIST files are not in {} (set LENET_DATA_DIR)",
            dir.display()
        );
        None
    }
}

/// IDX bytes of `n` synthetic 28×28 images: image `i` is filled with `i * 10`.
pub fn images_idx(n: usize) -> Vec<u8> {
    let data = (0..n)
        .flat_map(|i| vec![(i * 10 % 256) as u8; 784])
        .collect();
    encode_idx(&IdxArray {
        dims: vec![n, 28, 28],
        data,
    })
}

/// IDX bytes of labels.
pub fn labels_idx(labels: &[u8]) -> Vec<u8> {
    encode_idx(&IdxArray {
        dims: vec![labels.len()],
        data: labels.to_vec(),
    })
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a complete synthetic MNIST directory, gzip-compressed: `n_train` and
/// `n_test` images of [`images_idx`] (known bytes, nothing to learn), labels
/// cycling 0–9.
pub fn write_synthetic_mnist(dir: &Path, n_train: usize, n_test: usize) {
    let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let files = [
        (Split::Train.images_file(), images_idx(n_train)),
        (Split::Train.labels_file(), labels_idx(&labels(n_train))),
        (Split::Test.images_file(), images_idx(n_test)),
        (Split::Test.labels_file(), labels_idx(&labels(n_test))),
    ];
    for (stem, bytes) in files {
        std::fs::write(dir.join(format!("{stem}.gz")), gzip(&bytes)).unwrap();
    }
}

/// Synthetic MNIST in memory whose digits can be learned: image `i` is a bar on
/// a row given by its label.
pub fn learnable_mnist(n_train: usize, n_test: usize) -> Mnist {
    let split = |split: Split, n: usize, offset: usize| {
        let mut images = vec![0u8; n * 784];
        let mut labels = vec![0u8; n];
        for i in 0..n {
            let label = ((i + offset) * 7 % 10) as u8;
            labels[i] = label;
            let row = 3 + 2 * label as usize;
            for x in 4..24 {
                images[i * 784 + row * 28 + x] = 200 + (i % 50) as u8;
            }
        }
        MnistSplit::from_raw(split, images, labels).unwrap()
    };
    Mnist {
        train: split(Split::Train, n_train, 0),
        test: split(Split::Test, n_test, 3),
    }
}
