//! The example command lines as a user runs them: real output, clear errors,
//! non-zero exit codes, no panics.

mod support;

use std::process::{Command, Output};

fn run(example: &str, args: &[&str]) -> Output {
    Command::new(support::example_bin(example))
        .args(args)
        .env_remove("LENET_DATA_DIR")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn summary_prints_both_models_and_a_comparison() {
    let out = run("summary", &["--device", "flex"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("Total params: 61,706"), "{stdout}");
    assert!(stdout.contains("Total params: 30,378"), "{stdout}");
    assert!(stdout.contains("Comparison"), "{stdout}");
    let lenet5 = stdout.find("LeNet5 — input").unwrap();
    let extra = stdout.find("LeNet5 + extra conv — input").unwrap();
    assert!(lenet5 < extra, "LeNet5 first");
}

#[test]
fn summary_json_is_machine_readable() {
    let out = run("summary", &["--json", "--batch", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value[0]["total_params"], 61_706);
    assert_eq!(value[1]["total_params"], 30_378);
    assert_eq!(value[0]["input_shape"][0], 2);
}

#[test]
fn an_unknown_device_is_one_clear_line() {
    let out = run("summary", &["--device", "tpu"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("tpu") && stderr.contains("flex"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn mnist_info_reports_the_real_data_and_draws_the_first_digits() {
    let Some(dir) =
        support::real_mnist_dir("mnist_info_reports_the_real_data_and_draws_the_first_digits")
    else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(
        "mnist_info",
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("train     60000"), "{stdout}");
    assert!(stdout.contains("test      10000"), "{stdout}");
    assert!(stdout.contains("mean 0.1307, std 0.3081"), "{stdout}");
    assert!(
        stdout.contains("5923") && stdout.contains("1135"),
        "per-class counts: {stdout}"
    );
    let png = out_dir.path().join("mnist_first100.png");
    let picture = image::open(&png).unwrap();
    assert!(picture.width() >= 10 * 84 && picture.height() >= 10 * 84);
    assert!(support::leftover_temp_files(out_dir.path()).is_empty());
}

#[test]
fn mnist_info_with_a_truncated_file_names_it_and_does_not_panic() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 5, 5);
    let images = data.path().join("train-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(
        "mnist_info",
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("train-images-idx3-ubyte.gz"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        std::fs::read_dir(out_dir.path()).unwrap().next().is_none(),
        "no output written"
    );
}

#[test]
fn mnist_info_with_a_missing_directory_says_what_to_do() {
    let out = run("mnist_info", &["--data-dir", "/nonexistent/lenet-data"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/lenet-data") && stderr.contains("missing"),
        "{stderr}"
    );
    assert!(stderr.contains("--download"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
