//! burn-train's Learner trains LeNet5 (feature `learner`): the example's run on
//! real MNIST reaches the tutorial's accuracy after one epoch, and its files load
//! back with `SavedModel` to the same accuracy.

use crate::support;

use lenet::SavedModel;
use lenet::data::Mnist;

#[test]
fn one_epoch_of_burn_trains_supervised_training_reaches_96_percent() {
    let Some(dir) = support::real_mnist_dir("one_epoch_of_burn_trains_supervised_training") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(support::example_bin("train_with_learner"))
        .args(["--device", "flex", "--epochs", "1", "--data-dir"])
        .arg(&dir)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "train_with_learner failed:\n{stderr}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("metrics.json")).unwrap())
            .unwrap();
    let accuracy = metrics["test_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.96, "test accuracy {accuracy} after one epoch");
    assert_eq!(metrics["epochs"], 1);
    // burn-train's own logs: accuracy and loss per epoch, on both splits.
    for split in ["train", "valid"] {
        for metric in ["Accuracy.log", "Loss.log"] {
            let log = out.path().join(split).join("epoch-1").join(metric);
            assert!(log.is_file(), "{} missing", log.display());
        }
    }
    // The model and config load as any run's do, and read as well.
    let device = lenet::device("flex").unwrap();
    let saved = SavedModel::load(&out.path().join("model.bpk"), None, &device).unwrap();
    let mnist = Mnist::load(&dir).unwrap();
    let again = lenet::evaluate(&saved.model, &mnist.test, saved.normalization, 1000);
    assert!(
        (again.accuracy - accuracy).abs() < 1e-9,
        "{} vs {accuracy}",
        again.accuracy
    );
}
