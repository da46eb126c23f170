//! What a comparison found, as plain values: per model its runs, and per row the
//! figures the tutorial's question needs (size, cost, accuracy with its spread).

use std::fmt::Write as _;

use serde::Serialize;

use crate::data::{MnistSplit, NUM_CLASSES};
use crate::model::summary::thousands;
use crate::model::{Architecture, Summary};
use crate::train::Trained;
use crate::{Error, Result};

/// One trained run of a comparison.
#[derive(Debug, Clone)]
pub struct CompareRun {
    /// The run: model, config, history, and its final evaluation on the test
    /// images (with every image's predicted class).
    pub trained: Trained,
}

/// Every run of one architecture.
#[derive(Debug, Clone)]
pub struct ModelResults {
    /// The architecture.
    pub architecture: Architecture,
    /// Its summary (parameters, mult-adds, memory).
    pub summary: Summary,
    /// One run per seed, in seed order.
    pub runs: Vec<CompareRun>,
}

/// Mean and sample standard deviation (0 for a single value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSd {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
}

impl MeanSd {
    /// Of `values` (empty → 0 ± 0).
    ///
    /// ```
    /// let s = lenet::compare::MeanSd::of(&[1.0, 2.0, 3.0]);
    /// assert_eq!((s.mean, s.sd), (2.0, 1.0));
    /// ```
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self { mean: 0.0, sd: 0.0 };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Self { mean, sd }
    }
}

/// One architecture's line of the comparison table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// Architecture name.
    pub model: String,
    /// Parameters.
    pub params: usize,
    /// Multiply-adds for one image.
    pub mult_adds: u64,
    /// Size of the weights in bytes (f32).
    pub weight_bytes: u64,
    /// Seeds trained.
    pub seeds: Vec<u64>,
    /// Test accuracy of each seed, 0..1.
    pub test_accuracies: Vec<f64>,
    /// Test accuracy over seeds.
    pub test_accuracy: MeanSd,
    /// Test loss over seeds.
    pub test_loss: MeanSd,
    /// Training wall time per run, seconds.
    pub train_seconds: MeanSd,
    /// F1 of each digit, averaged over seeds.
    pub per_class_f1: Vec<f64>,
}

/// The result of [`compare`](super::compare).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// One entry per architecture, in the order asked.
    pub models: Vec<ModelResults>,
    /// The true label of every test image.
    pub test_labels: Vec<u8>,
}

impl Comparison {
    /// The table's rows.
    pub fn rows(&self) -> Vec<ComparisonRow> {
        self.models
            .iter()
            .map(|m| {
                let runs = &m.runs;
                let accuracies: Vec<f64> =
                    runs.iter().map(|r| r.trained.evaluation.accuracy).collect();
                let losses: Vec<f64> = runs.iter().map(|r| r.trained.evaluation.loss).collect();
                let seconds: Vec<f64> = runs
                    .iter()
                    .map(|r| r.trained.history.train_seconds())
                    .collect();
                let per_class_f1 = (0..NUM_CLASSES)
                    .map(|d| {
                        runs.iter()
                            .map(|r| r.trained.evaluation.per_class[d].f1)
                            .sum::<f64>()
                            / runs.len() as f64
                    })
                    .collect();
                ComparisonRow {
                    model: m.architecture.name().to_string(),
                    params: m.summary.total_params,
                    mult_adds: m.summary.total_mult_adds,
                    weight_bytes: m.summary.param_bytes(),
                    seeds: runs.iter().map(|r| r.trained.config.seed).collect(),
                    test_accuracy: MeanSd::of(&accuracies),
                    test_accuracies: accuracies,
                    test_loss: MeanSd::of(&losses),
                    train_seconds: MeanSd::of(&seconds),
                    per_class_f1,
                }
            })
            .collect()
    }

    /// The comparison as Markdown: the main table, then per-class F1.
    pub fn markdown(&self) -> String {
        let rows = self.rows();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| model | params | mult-adds | weights | train time / run | test accuracy (mean ± sd) | seeds: accuracy |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
        for r in &rows {
            let each: Vec<String> = r
                .seeds
                .iter()
                .zip(&r.test_accuracies)
                .map(|(s, a)| format!("{s}: {:.2}", 100.0 * a))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} kB | {:.1} ± {:.1} s | {:.2} ± {:.2}% | {} |",
                r.model,
                thousands(r.params as u64),
                thousands(r.mult_adds),
                r.weight_bytes as f64 / 1000.0,
                r.train_seconds.mean,
                r.train_seconds.sd,
                100.0 * r.test_accuracy.mean,
                100.0 * r.test_accuracy.sd,
                each.join(", ")
            );
        }
        let _ = writeln!(out, "\nF1 per digit (mean over seeds):\n");
        let _ = write!(out, "| model |");
        (0..NUM_CLASSES).for_each(|d| {
            let _ = write!(out, " {d} |");
        });
        let _ = writeln!(out, "\n|---|{}", "---:|".repeat(NUM_CLASSES));
        for r in &rows {
            let _ = write!(out, "| {} |", r.model);
            for f1 in &r.per_class_f1 {
                let _ = write!(out, " {:.4} |", f1);
            }
            out.push('\n');
        }
        out
    }
}

impl Comparison {
    /// A "comparison" of one trained run, for a report on a single model. `test`
    /// must be the split the run was last evaluated on: its labels go with the
    /// evaluation's predictions.
    ///
    /// ```no_run
    /// # fn show(trained: lenet::train::Trained, mnist: &lenet::data::Mnist) -> lenet::Result<()> {
    /// let one = lenet::compare::Comparison::of_one(trained, &mnist.test)?;
    /// println!("{}", one.markdown());
    /// # Ok(()) }
    /// ```
    pub fn of_one(trained: Trained, test: &MnistSplit) -> Result<Self> {
        let evaluated = trained.evaluation.predictions.len();
        if evaluated != test.len() {
            return Err(Error::InvalidArgument(format!(
                "the run was evaluated on {evaluated} images, the test split given has {}",
                test.len()
            )));
        }
        let architecture = trained.config.model.architecture;
        let summary = Summary::of(&trained.model);
        Ok(Comparison {
            models: vec![ModelResults {
                architecture,
                summary,
                runs: vec![CompareRun { trained }],
            }],
            test_labels: test.labels().to_vec(),
        })
    }
}
