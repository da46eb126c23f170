//! IDX parsing and MNIST validation on synthetic files: every malformed input is
//! a clear error naming the file, never a panic.

use crate::support;

use std::path::Path;

use lenet::Error;
use lenet::data::{IdxError, IdxKind, MnistSplit, Split, read_idx};
use support::{gzip, images_idx, labels_idx, write_synthetic_mnist};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn idx_reason(result: lenet::Result<lenet::data::IdxArray>, name: &str) -> IdxError {
    match result {
        Err(Error::Idx { path, reason }) => {
            assert!(path.ends_with(name), "error names {}", path.display());
            reason
        }
        other => panic!("expected an IDX error for {name}, got {other:?}"),
    }
}

#[test]
fn raw_and_gzip_give_the_same_array_detected_from_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let raw = images_idx(3);
    // Names lie on purpose: detection must look at the bytes.
    let a = read_idx(&write(dir.path(), "images.gz", &raw), IdxKind::Images).unwrap();
    let b = read_idx(
        &write(dir.path(), "images.raw", &gzip(&raw)),
        IdxKind::Images,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.dims, vec![3, 28, 28]);
    assert_eq!(a.data[784 * 2], 20);
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "train-images-idx3-ubyte", &[]);
    let reason = idx_reason(read_idx(&path, IdxKind::Images), "train-images-idx3-ubyte");
    assert!(matches!(reason, IdxError::Empty), "{reason}");
}

#[test]
fn truncated_header_and_truncated_data() {
    let dir = tempfile::tempdir().unwrap();
    let full = images_idx(2);
    let path = write(dir.path(), "header", &full[..10]);
    let reason = idx_reason(read_idx(&path, IdxKind::Images), "header");
    assert!(
        matches!(
            reason,
            IdxError::TruncatedHeader {
                found: 10,
                needed: 16
            }
        ),
        "{reason}"
    );

    for (name, bytes) in [("raw", full[..1000].to_vec()), ("gz", gzip(&full[..1000]))] {
        let path = write(dir.path(), name, &bytes);
        let reason = idx_reason(read_idx(&path, IdxKind::Images), name);
        assert!(
            matches!(reason, IdxError::Truncated { expected: 1568, .. }),
            "{name}: {reason}"
        );
        assert!(reason.to_string().contains("truncated"));
    }
}

#[test]
fn wrong_magic_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "labels-as-images", &labels_idx(&[1, 2, 3]));
    let reason = idx_reason(read_idx(&path, IdxKind::Images), "labels-as-images");
    assert!(
        matches!(
            reason,
            IdxError::BadMagic {
                found: 2049,
                expected: 2051,
                ..
            }
        ),
        "{reason}"
    );
    let path = write(dir.path(), "text", b"hello, this is not an IDX file at all");
    let reason = idx_reason(read_idx(&path, IdxKind::Labels), "text");
    assert!(
        reason.to_string().contains("wrong magic number"),
        "{reason}"
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = labels_idx(&[1, 2]);
    bytes.extend_from_slice(&[0; 5]);
    let path = write(dir.path(), "long", &bytes);
    let reason = idx_reason(read_idx(&path, IdxKind::Labels), "long");
    assert!(
        matches!(
            reason,
            IdxError::TrailingBytes {
                expected: 2,
                extra: 5
            }
        ),
        "{reason}"
    );
}

#[test]
fn huge_header_claims_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    // Claims 4 billion × 65535 × 65535 bytes in a 16-byte file.
    let header = [
        0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff,
    ];
    let path = write(dir.path(), "huge", &header);
    let reason = idx_reason(read_idx(&path, IdxKind::Images), "huge");
    assert!(
        matches!(reason, IdxError::Truncated { found: 0, .. }),
        "{reason}"
    );
    let path = write(dir.path(), "huge.gz", &gzip(&header));
    let reason = idx_reason(read_idx(&path, IdxKind::Images), "huge.gz");
    assert!(
        matches!(reason, IdxError::ImpossibleSize { .. }),
        "{reason}"
    );
}

#[test]
fn corrupt_gzip_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = gzip(&images_idx(4));
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0xa5;
    }
    let path = write(dir.path(), "corrupt.gz", &bytes);
    let reason = idx_reason(read_idx(&path, IdxKind::Images), "corrupt.gz");
    assert!(
        matches!(
            reason,
            IdxError::Gzip(_) | IdxError::Truncated { .. } | IdxError::TrailingBytes { .. }
        ),
        "{reason}"
    );
}

#[test]
fn a_synthetic_directory_loads_as_a_split() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 12, 5);
    let train = MnistSplit::load(dir.path(), Split::Train).unwrap();
    assert_eq!(train.len(), 12);
    assert_eq!(train.label(11), 1);
    assert_eq!(train.image(3)[0], 30);
    assert_eq!(train.class_counts(), [2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    let test = MnistSplit::load(dir.path(), Split::Test).unwrap();
    assert_eq!(test.len(), 5);
}

#[test]
fn missing_files_name_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 3, 3);
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    assert!(MnistSplit::load(dir.path(), Split::Train).is_ok());
    let err = MnistSplit::load(dir.path(), Split::Test).unwrap_err();
    assert!(
        matches!(&err, Error::MissingData { missing, .. } if missing.len() == 1),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("t10k-labels-idx1-ubyte"), "{text}");
    assert!(
        text.contains("train-images-idx3-ubyte.gz"),
        "lists every expected file: {text}"
    );
    assert!(
        text.contains("LENET_DATA_DIR"),
        "says how to fix it: {text}"
    );
}

#[test]
fn wrong_image_size_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 2, 2);
    let bytes = lenet::data::encode_idx(&lenet::data::IdxArray {
        dims: vec![2, 27, 28],
        data: vec![0; 2 * 27 * 28],
    });
    write(dir.path(), "train-images-idx3-ubyte.gz", &gzip(&bytes));
    let err = MnistSplit::load(dir.path(), Split::Train).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidDataset { path, .. } if path.ends_with("train-images-idx3-ubyte.gz"))
    );
    assert!(err.to_string().contains("27×28"), "{err}");
}

#[test]
fn count_mismatch_and_bad_labels_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 3, 3);
    write(
        dir.path(),
        "train-labels-idx1-ubyte.gz",
        &gzip(&labels_idx(&[1, 2])),
    );
    let err = MnistSplit::load(dir.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(err.contains("3 images but 2 labels"), "{err}");
    assert!(
        err.contains("train-labels-idx1-ubyte.gz"),
        "names both files: {err}"
    );

    write(
        dir.path(),
        "train-labels-idx1-ubyte.gz",
        &gzip(&labels_idx(&[1, 10, 2])),
    );
    let err = MnistSplit::load(dir.path(), Split::Train).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidDataset { path, .. } if path.ends_with("train-labels-idx1-ubyte.gz"))
    );
    assert!(err.to_string().contains("label 10 at index 1"), "{err}");
}

#[test]
fn raw_files_are_found_when_there_is_no_gz() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t10k-images-idx3-ubyte", &images_idx(2));
    write(dir.path(), "t10k-labels-idx1-ubyte", &labels_idx(&[4, 2]));
    let test = MnistSplit::load(dir.path(), Split::Test).unwrap();
    assert_eq!(test.labels(), &[4, 2]);
}
