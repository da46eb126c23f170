//! kill -9 in the middle of training, with checkpoints being written every step:
//! the last checkpoint still loads, and resuming (`--resume DIR`, nothing else)
//! ends with exactly the weights of a run never interrupted.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn train(args: &[&str]) -> std::process::Child {
    Command::new(support::example_bin("train_mnist"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn latest_step(run: &Path) -> usize {
    std::fs::read_to_string(run.join("checkpoints/latest"))
        .ok()
        .and_then(|name| name.trim().trim_start_matches("step-").parse().ok())
        .unwrap_or(0)
}

/// Safetensors bytes of a finished run (deterministic for the same weights).
fn weights(run: &Path) -> Vec<u8> {
    std::fs::read(run.join("model.safetensors")).unwrap()
}

#[test]
fn kill_9_during_checkpointing_then_resume_gives_the_same_weights() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 2_000, 50);
    let runs = tempfile::tempdir().unwrap();
    let common = |out: &Path| -> Vec<String> {
        [
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--checkpoint-every",
            "1",
            "--seed",
            "5",
            "--device",
            "flex",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let straight = runs.path().join("straight");
    let args = common(&straight);
    let status = train(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .wait()
        .unwrap();
    assert!(status.success());

    let killed = runs.path().join("killed");
    let args = common(&killed);
    let mut child = train(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let deadline = Instant::now() + Duration::from_secs(120);
    while latest_step(&killed) < 60 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let step = latest_step(&killed);
    assert!(step >= 60, "training reached a checkpoint before the kill");
    assert!(
        !killed.join("metrics.json").exists(),
        "the kill came before the end (step {step})"
    );

    // `--resume DIR` alone: the data comes from where the run recorded it, not
    // from $LENET_DATA_DIR (empty here, so a download would be tried and fail).
    let elsewhere = tempfile::tempdir().unwrap();
    let status = Command::new(support::example_bin("train_mnist"))
        .args(["--resume", killed.to_str().unwrap()])
        .env("LENET_DATA_DIR", elsewhere.path())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "resume after kill -9 at step {step}");
    assert!(
        weights(&killed) == weights(&straight),
        "killed at step {step}, resumed: weights differ"
    );
}

#[test]
fn resuming_a_run_whose_data_is_gone_names_where_it_was() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 64, 20);
    let run = tempfile::tempdir().unwrap();
    let out = run.path().join("run");
    let status = train(&[
        "--data-dir",
        data.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "1",
        "--device",
        "flex",
    ])
    .wait()
    .unwrap();
    assert!(status.success());
    let recorded = std::path::absolute(data.path()).unwrap();
    drop(data); // the data directory is gone
    let output = Command::new(support::example_bin("train_mnist"))
        .args(["--resume", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&*recorded.to_string_lossy()) && stderr.contains("--data-dir"),
        "{stderr}"
    );
}
