//! What happened in each epoch, kept as plain values.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean loss over this epoch's training batches: the loss minimised, so
    /// with [label smoothing](crate::TrainConfig::label_smoothing) the smoothed
    /// cross-entropy (at least the smoothed targets' entropy, ≈ 0.50 for ε 0.1
    /// and ten classes), else plain cross-entropy.
    pub train_loss: f64,
    /// Fraction of this epoch's training images classified correctly while
    /// training (per epoch, not cumulative).
    pub train_accuracy: f64,
    /// Mean cross-entropy on the 10,000 test images after this epoch.
    pub test_loss: f64,
    /// Fraction of the test images classified correctly after this epoch.
    pub test_accuracy: f64,
    /// Learning rate at the epoch's last step.
    pub learning_rate: f64,
    /// Wall time of the epoch's training steps (evaluation excluded).
    pub train_seconds: f64,
    /// Training images per second.
    pub samples_per_sec: f64,
    /// Wall time of the evaluation on the test images after this epoch (0 in
    /// histories written before this field existed).
    #[serde(default)]
    pub eval_seconds: f64,
    /// Times this epoch's training steps waited to read values back from the
    /// device (the loss and the count of correct images): once every
    /// `log_every` steps, before a checkpoint or a stop, and at the epoch's end
    /// (0 in histories written before this field existed).
    #[serde(default)]
    pub device_reads: u64,
}

/// Every epoch of a run, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The epochs.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// The last epoch, if any.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// Seconds spent in training steps over all epochs.
    pub fn train_seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.train_seconds).sum()
    }

    /// The history as CSV, one row per epoch, with a header.
    ///
    /// ```
    /// let csv = lenet::train::History::default().to_csv();
    /// assert!(csv.starts_with("epoch,train_loss,train_accuracy,test_loss,test_accuracy"));
    /// ```
    pub fn to_csv(&self) -> String {
        let mut csv = String::from(
            "epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,train_seconds,samples_per_sec\n",
        );
        for e in &self.epochs {
            let _ = writeln!(
                csv,
                "{},{:.6},{:.6},{:.6},{:.6},{:.3e},{:.3},{:.1}",
                e.epoch,
                e.train_loss,
                e.train_accuracy,
                e.test_loss,
                e.test_accuracy,
                e.learning_rate,
                e.train_seconds,
                e.samples_per_sec
            );
        }
        csv
    }
}
