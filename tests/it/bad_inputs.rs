//! Bad input through the command lines, as a user would give it: every case exits
//! non-zero with one clear line naming the file (or flag) and the reason, never a
//! panic, and leaves no partial output behind.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use lenet::data::{IdxArray, encode_idx};
use lenet::{Architecture, LeNetConfig};
use support::{gzip, images_idx, labels_idx, write_synthetic_mnist};

/// Runs an example: its exit code and its stderr.
fn run(example: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = support::run_example(example, args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The failure is one line that contains every `needle`, with no panic.
fn assert_clear_failure((code, stderr): (Option<i32>, String), needles: &[&str]) {
    assert!(
        code.is_some_and(|c| c != 0),
        "exit code {code:?}, stderr {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "no message");
    let message = lines.last().unwrap();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{needle:?} missing from {message:?}"
        );
    }
}

fn no_files_in(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A data directory whose `t10k-images` file is replaced by `bytes`.
fn data_with_test_images(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 6, 6);
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte.gz"), bytes).unwrap();
    dir
}

/// A data directory whose `train-images` file is replaced by `bytes`.
fn data_with_train_images(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 6, 6);
    std::fs::write(dir.path().join("train-images-idx3-ubyte.gz"), bytes).unwrap();
    dir
}

#[test]
fn malformed_idx_files_through_mnist_info() {
    let full = images_idx(6);
    let wrong_dims = encode_idx(&IdxArray {
        dims: vec![6, 32, 32],
        data: vec![0; 6 * 32 * 32],
    });
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "empty"),
        ("truncated", gzip(&full[..full.len() / 2]), "truncated"),
        ("wrong magic", gzip(&labels_idx(&[1, 2, 3])), "magic"),
        ("wrong dims", gzip(&wrong_dims), "32×32"),
        (
            "count mismatch",
            gzip(&images_idx(5)),
            "5 images but 6 labels",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let model = checkpoint(dir.path());
    for (case, bytes, reason) in cases {
        let data = data_with_train_images(&bytes);
        let out = tempfile::tempdir().unwrap();
        let result = run(
            "mnist_info",
            &[
                "--data-dir",
                data.path().to_str().unwrap(),
                "--out",
                out.path().to_str().unwrap(),
            ],
        );
        eprintln!("{case}: {}", result.1.trim());
        assert_clear_failure(result, &["train-images-idx3-ubyte.gz", reason]);
        no_files_in(out.path());
        // The same file through training, which must fail before writing anything.
        let result = run(
            "train_mnist",
            &[
                "--data-dir",
                data.path().to_str().unwrap(),
                "--epochs",
                "1",
                "--device",
                "flex",
                "--out",
                out.path().to_str().unwrap(),
            ],
        );
        assert_clear_failure(result, &["train-images-idx3-ubyte.gz", reason]);
        no_files_in(out.path());
        // And as the test set, through evaluate (the count check names the labels).
        if case != "count mismatch" {
            let data = data_with_test_images(&bytes);
            let args = [
                "--checkpoint",
                model.to_str().unwrap(),
                "--model",
                "lenet5",
                "--data-dir",
                data.path().to_str().unwrap(),
            ];
            assert_clear_failure(run("evaluate", &args), &["t10k-images-idx3-ubyte.gz"]);
        }
    }
    // A label outside 0–9 names the labels file.
    let data = tempfile::tempdir().unwrap();
    write_synthetic_mnist(data.path(), 3, 3);
    std::fs::write(
        data.path().join("t10k-labels-idx1-ubyte.gz"),
        gzip(&labels_idx(&[1, 10, 2])),
    )
    .unwrap();
    assert_clear_failure(
        run("mnist_info", &["--data-dir", data.path().to_str().unwrap()]),
        &["t10k-labels-idx1-ubyte.gz", "label 10"],
    );
}

/// A saved LeNet5 (no config.json beside it).
fn checkpoint(dir: &Path) -> PathBuf {
    let device = lenet::device("flex").unwrap();
    let path = dir.join("lenet5.bpk");
    LeNetConfig::new(Architecture::LENET5)
        .init_seeded(&device, 0)
        .save(&path)
        .unwrap();
    path
}

#[test]
fn bad_pictures_through_predict() {
    let dir = tempfile::tempdir().unwrap();
    let model = checkpoint(dir.path());
    let one_by_one = {
        let mut png = Vec::new();
        image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        png
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text.png",
            b"just some text, not a picture".to_vec(),
            "not an image",
        ),
        ("empty.png", vec![], "empty"),
        ("tiny.png", one_by_one, "too small"),
        (
            "huge.png",
            support::huge_png_header(20_000, 20_000),
            "too large",
        ),
    ];
    for (name, bytes, reason) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let result = run(
            "predict",
            &[
                "--checkpoint",
                model.to_str().unwrap(),
                "--model",
                "lenet5",
                path.to_str().unwrap(),
            ],
        );
        assert_clear_failure(result, &[name, reason]);
        // With --json the same reason is in the file's JSON line.
        let out = Command::new(support::example_bin("predict"))
            .args(["--checkpoint", model.to_str().unwrap(), "--model", "lenet5"])
            .args(["--json", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.contains(name) && error.contains(reason), "{line}");
    }
}

#[test]
fn bad_checkpoints_through_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_synthetic_mnist(data.path(), 4, 4);
    let data_dir = data.path().to_str().unwrap();
    let device = lenet::device("flex").unwrap();
    // The other architecture.
    let extra = dir.path().join("extra.bpk");
    LeNetConfig::new(Architecture::EXTRA_CONV)
        .init_seeded(&device, 0)
        .save(&extra)
        .unwrap();
    assert_clear_failure(
        run(
            "evaluate",
            &[
                "--checkpoint",
                extra.to_str().unwrap(),
                "--model",
                "lenet5",
                "--data-dir",
                data_dir,
            ],
        ),
        &["extra.bpk", "lenet5"],
    );
    // A corrupted .bpk.
    let corrupt = dir.path().join("corrupt.bpk");
    let mut bytes = std::fs::read(checkpoint(dir.path())).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&corrupt, bytes).unwrap();
    assert_clear_failure(
        run(
            "evaluate",
            &[
                "--checkpoint",
                corrupt.to_str().unwrap(),
                "--model",
                "lenet5",
                "--data-dir",
                data_dir,
            ],
        ),
        &["corrupt.bpk"],
    );
    // Not a model at all, and no file.
    let text = dir.path().join("notes.pth");
    std::fs::write(&text, "hello").unwrap();
    assert_clear_failure(
        run(
            "evaluate",
            &[
                "--checkpoint",
                text.to_str().unwrap(),
                "--data-dir",
                data_dir,
            ],
        ),
        &["notes.pth", "not a model file"],
    );
    let missing = dir.path().join("missing.bpk");
    assert_clear_failure(
        run(
            "evaluate",
            &[
                "--checkpoint",
                missing.to_str().unwrap(),
                "--model",
                "lenet5",
                "--data-dir",
                data_dir,
            ],
        ),
        &["missing.bpk"],
    );
}

#[test]
fn an_out_directory_that_cannot_be_made() {
    let data = tempfile::tempdir().unwrap();
    write_synthetic_mnist(data.path(), 4, 4);
    // A path below a regular file cannot be a directory, even for root.
    let blocker = data.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("out");
    for example in [
        "mnist_info",
        "train_mnist",
        "visualize_features",
        "gradient_descent",
    ] {
        let mut args = vec!["--out", out.to_str().unwrap()];
        if example != "gradient_descent" {
            args.extend(["--data-dir", data.path().to_str().unwrap()]);
        }
        assert_clear_failure(run(example, &args), &["a-file"]);
    }
}

/// `--resume` continues a run exactly as it was started: a setting given
/// with it would be ignored, so it is refused, naming both.
#[test]
fn resume_refuses_the_settings_it_would_ignore() {
    for (flag, value) in [
        ("--model", "one-conv"),
        ("--recipe", "improved"),
        ("--epochs", "30"),
        ("--batch-size", "8"),
        ("--lr", "0.1"),
        ("--seed", "4"),
        ("--limit", "100"),
        ("--checkpoint-every", "5"),
        ("--label-smoothing", "0.1"),
    ] {
        let (code, stderr) = run("train_mnist", &["--resume", "runs/x", flag, value]);
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("--resume"),
            "{stderr}"
        );
    }
}

#[test]
fn unknown_names_list_the_choices() {
    for (example, flag, value, needle) in [
        ("summary", "--device", "tpu", "flex"),
        ("train_mnist", "--device", "tpu", "flex"),
        ("predict", "--device", "tpu", "flex"),
        ("train_mnist", "--model", "resnet", "lenet5"),
        ("train_mnist", "--recipe", "magic", "tutorial"),
        ("visualize_features", "--layers", "conv9x", "conv1"),
    ] {
        let (code, stderr) = run(example, &[flag, value]);
        assert_eq!(code, Some(2), "{example} {flag} {value}: {stderr}");
        assert!(
            stderr.contains(value) && stderr.contains(needle),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
