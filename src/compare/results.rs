//! What a comparison found, as plain values: per model its runs, and per row the
//! figures the tutorial's question needs (size, cost, accuracy with its spread).

use std::fmt::Write as _;

use serde::Serialize;

use super::significance::{
    PAIR_COLUMNS, PairComparison, SignificanceTest, mcnemar, mean_and_variance, welch,
};
use crate::data::MnistSplit;
use crate::model::{Architecture, Summary};
use crate::table::{Align, Table, thousands};
use crate::train::Trained;
use crate::{Error, Result};

/// One trained run of a comparison.
#[derive(Debug, Clone)]
pub struct CompareRun {
    /// The run: model, config, history, and its final evaluation on the test
    /// images (with every image's predicted class).
    pub trained: Trained,
}

/// Every run of one architecture trained one way.
#[derive(Debug, Clone)]
pub struct ModelResults {
    /// How the table and the pairs name it: the architecture's name, unless
    /// two entries share an architecture (trained with other settings: the lab
    /// names them by their recipe and epochs).
    pub name: String,
    /// The architecture.
    pub architecture: Architecture,
    /// Its summary (parameters, mult-adds, memory).
    pub summary: Summary,
    /// One run per seed, in seed order.
    pub runs: Vec<CompareRun>,
}

impl ModelResults {
    /// The runs of `architecture`, named by the architecture's name.
    ///
    /// ```
    /// use lenet::Architecture;
    /// use lenet::compare::ModelResults;
    /// use lenet::model::Summary;
    ///
    /// let summary = Summary::of_architecture(&Architecture::LENET5, 1);
    /// let results = ModelResults::new(Architecture::LENET5, summary, Vec::new());
    /// assert_eq!(results.name, "lenet5");
    /// ```
    pub fn new(architecture: Architecture, summary: Summary, runs: Vec<CompareRun>) -> Self {
        Self {
            name: architecture.name().to_string(),
            architecture,
            summary,
            runs,
        }
    }
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
        let (mean, variance) = mean_and_variance(values);
        Self {
            mean,
            sd: variance.sqrt(),
        }
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
    /// On the Pareto front of accuracy against parameters: no other model is as
    /// accurate (mean) with fewer parameters, or more accurate with as few.
    pub pareto_params: bool,
    /// On the Pareto front of accuracy against multiply-adds.
    pub pareto_mult_adds: bool,
}

/// Whether `(cost, accuracy)` point `i` is dominated by none of `points`.
fn on_front(points: &[(u64, f64)], i: usize) -> bool {
    let (cost, accuracy) = points[i];
    !points
        .iter()
        .any(|&(c, a)| c <= cost && a >= accuracy && (c < cost || a > accuracy))
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
        let mut rows: Vec<ComparisonRow> = self
            .models
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
                let classes = runs
                    .iter()
                    .map(|r| r.trained.evaluation.per_class.len())
                    .min()
                    .unwrap_or(0);
                let per_class_f1 = (0..classes)
                    .map(|d| {
                        runs.iter()
                            .map(|r| r.trained.evaluation.per_class[d].f1)
                            .sum::<f64>()
                            / runs.len() as f64
                    })
                    .collect();
                ComparisonRow {
                    model: m.name.clone(),
                    params: m.summary.total_params,
                    mult_adds: m.summary.total_mult_adds,
                    weight_bytes: m.summary.param_bytes(),
                    seeds: runs.iter().map(|r| r.trained.config.seed).collect(),
                    test_accuracy: MeanSd::of(&accuracies),
                    test_accuracies: accuracies,
                    test_loss: MeanSd::of(&losses),
                    train_seconds: MeanSd::of(&seconds),
                    per_class_f1,
                    pareto_params: false,
                    pareto_mult_adds: false,
                }
            })
            .collect::<Vec<_>>();
        let by_params: Vec<(u64, f64)> = rows
            .iter()
            .map(|r| (r.params as u64, r.test_accuracy.mean))
            .collect();
        let by_mult_adds: Vec<(u64, f64)> = rows
            .iter()
            .map(|r| (r.mult_adds, r.test_accuracy.mean))
            .collect();
        for (i, row) in rows.iter_mut().enumerate() {
            row.pareto_params = on_front(&by_params, i);
            row.pareto_mult_adds = on_front(&by_mult_adds, i);
        }
        rows
    }

    /// Every pair of models (in table order, `a` before `b`): the difference of
    /// their mean test accuracy, its 95% interval and p-value — Welch's t-test
    /// over seeds when both have two or more, else McNemar's exact test over the
    /// test images of their first seeds (see [`SignificanceTest`]).
    pub fn pairs(&self) -> Vec<PairComparison> {
        let accuracies = |m: &ModelResults| -> Vec<f64> {
            m.runs
                .iter()
                .map(|r| r.trained.evaluation.accuracy)
                .collect()
        };
        let mut pairs = Vec::new();
        for (i, a) in self.models.iter().enumerate() {
            for b in &self.models[i + 1..] {
                let (acc_a, acc_b) = (accuracies(a), accuracies(b));
                let ((difference, ci95, p_value), test) = if acc_a.len() >= 2 && acc_b.len() >= 2 {
                    (welch(&acc_a, &acc_b), SignificanceTest::Welch)
                } else {
                    let (pa, pb) = (
                        &a.runs[0].trained.evaluation.predictions,
                        &b.runs[0].trained.evaluation.predictions,
                    );
                    let (mut only_a, mut only_b) = (0, 0);
                    for ((&x, &y), &label) in pa.iter().zip(pb).zip(&self.test_labels) {
                        match (x == label, y == label) {
                            (true, false) => only_a += 1,
                            (false, true) => only_b += 1,
                            _ => {}
                        }
                    }
                    (
                        mcnemar(only_a, only_b, self.test_labels.len()),
                        SignificanceTest::Mcnemar,
                    )
                };
                pairs.push(PairComparison {
                    a: a.name.clone(),
                    b: b.name.clone(),
                    difference,
                    ci95,
                    p_value,
                    test,
                });
            }
        }
        pairs
    }

    /// The comparison as Markdown: the main table, then per-class F1.
    pub fn markdown(&self) -> String {
        let rows = self.rows();
        let mut out = String::new();
        let mut table = Table::new(&[
            ("#", Align::Right),
            ("model", Align::Left),
            ("params", Align::Right),
            ("mult-adds", Align::Right),
            ("weights", Align::Right),
            ("train time / run", Align::Right),
            ("test accuracy (mean ± sd)", Align::Right),
            ("seeds: accuracy", Align::Left),
        ]);
        for (number, r) in rows.iter().enumerate() {
            let each: Vec<String> = r
                .seeds
                .iter()
                .zip(&r.test_accuracies)
                .map(|(s, a)| format!("{s}: {:.2}", 100.0 * a))
                .collect();
            table.row(vec![
                (number + 1).to_string(),
                r.model.clone(),
                thousands(r.params as u64),
                thousands(r.mult_adds),
                format!("{:.1} kB", r.weight_bytes as f64 / 1000.0),
                format!("{:.1} ± {:.1} s", r.train_seconds.mean, r.train_seconds.sd),
                format!(
                    "{:.2} ± {:.2}%",
                    100.0 * r.test_accuracy.mean,
                    100.0 * r.test_accuracy.sd
                ),
                each.join(", "),
            ]);
        }
        out.push_str(&table.markdown());
        let pairs = self.pairs();
        if !pairs.is_empty() {
            let _ = writeln!(
                out,
                "\nPairs: difference of mean test accuracy (a − b, points), Welch's t-test over \
                 seeds (McNemar's exact test over the test images where a model has one seed):\n"
            );
            let columns = PAIR_COLUMNS
                .map(|(name, number)| (name, if number { Align::Right } else { Align::Left }));
            let mut table = Table::new(&columns);
            for p in &pairs {
                table.row(p.row());
            }
            out.push_str(&table.markdown());
            let front: Vec<&str> = rows
                .iter()
                .filter(|r| r.pareto_params)
                .map(|r| r.model.as_str())
                .collect();
            let _ = writeln!(
                out,
                "\nPareto front (accuracy against parameters): {}",
                front.join(", ")
            );
        }
        let _ = writeln!(out, "\nF1 per digit (mean over seeds):\n");
        let classes = rows.iter().map(|r| r.per_class_f1.len()).max().unwrap_or(0);
        let digits: Vec<String> = (0..classes).map(|d| d.to_string()).collect();
        let mut columns = vec![("model", Align::Left)];
        columns.extend(digits.iter().map(|d| (d.as_str(), Align::Right)));
        let mut table = Table::new(&columns);
        for r in &rows {
            let mut cells = vec![r.model.clone()];
            cells.extend(r.per_class_f1.iter().map(|f1| format!("{f1:.4}")));
            cells.resize(classes + 1, String::new());
            table.row(cells);
        }
        out.push_str(&table.markdown());
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
        let architecture = trained.config.model.architecture.clone();
        let summary = Summary::of(&trained.model);
        Ok(Comparison {
            models: vec![ModelResults::new(
                architecture,
                summary,
                vec![CompareRun { trained }],
            )],
            test_labels: test.labels().to_vec(),
        })
    }
}
