//! Evaluation: accuracy, loss, per-class precision/recall/F1, the confusion
//! matrix, and the tutorial's MSE and R² — all from one pass over the data.

use std::fmt;

use burn::tensor::{Device, Tensor};
use serde::Serialize;

use crate::data::{MnistBatch, MnistBatcher, MnistSplit, NUM_CLASSES, Normalization};
use crate::model::LeNet;
use crate::prediction::Softmax;

/// Precision, recall and F1 of one digit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassMetrics {
    /// The digit.
    pub digit: usize,
    /// Of the images predicted as this digit, the fraction that are.
    pub precision: f64,
    /// Of the images of this digit, the fraction predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Images of this digit.
    pub support: usize,
}

/// Precision, recall and F1 averaged over classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Averages {
    /// Mean precision.
    pub precision: f64,
    /// Mean recall.
    pub recall: f64,
    /// Mean F1.
    pub f1: f64,
}

/// The full evaluation of a model on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Number of images evaluated.
    pub count: usize,
    /// Images classified correctly.
    pub correct: usize,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Mean cross-entropy.
    pub loss: f64,
    /// One entry per class: the model's outputs, and any label beyond them
    /// (ten for MNIST's digits and a ten-class network).
    pub per_class: Vec<ClassMetrics>,
    /// Unweighted mean over those classes (scikit-learn's "macro avg" when
    /// every class occurs).
    pub macro_avg: Averages,
    /// Mean over digits weighted by support ("weighted avg").
    pub weighted_avg: Averages,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// Mean squared error between softmax probabilities and one-hot labels.
    pub mse: f64,
    /// R² of softmax probabilities against one-hot labels, averaged over the
    /// ten columns (scikit-learn's `r2_score` default).
    pub r2: f64,
    /// The class predicted for every image, in the order evaluated (left out of
    /// the JSON: it is one number per image).
    #[serde(skip)]
    pub predictions: Vec<u8>,
}

/// Accumulates logits and labels batch by batch; [`finish`](Self::finish) turns
/// them into an [`Evaluation`].
///
/// The classes are the model's outputs ([`new`](Self::new)); the tables cover
/// those and every label seen, so a label the model has no output for (a
/// five-class network shown a 7) counts as wrong, with probability 0 for it
/// (an infinite loss), instead of being cut off.
#[derive(Debug, Clone)]
pub struct EvalAccumulator {
    /// Outputs per image (the model's classes).
    classes: usize,
    count: usize,
    correct: usize,
    loss_sum: f64,
    /// Per class of the tables (`max(classes, largest label + 1)`).
    squared_error: Vec<f64>,
    label_counts: Vec<usize>,
    confusion: Vec<Vec<usize>>,
    predictions: Vec<u8>,
}

impl Default for EvalAccumulator {
    /// For MNIST's ten digits.
    fn default() -> Self {
        Self::new(NUM_CLASSES)
    }
}

impl EvalAccumulator {
    /// An empty accumulator for logits of `classes` values per image (at least 1).
    pub fn new(classes: usize) -> Self {
        let mut acc = Self {
            classes: classes.max(1),
            count: 0,
            correct: 0,
            loss_sum: 0.0,
            squared_error: Vec::new(),
            label_counts: Vec::new(),
            confusion: Vec::new(),
            predictions: Vec::new(),
        };
        acc.cover(acc.classes.max(NUM_CLASSES));
        acc
    }

    /// Grows the tables to `n` classes.
    fn cover(&mut self, n: usize) {
        if n <= self.label_counts.len() {
            return;
        }
        self.squared_error.resize(n, 0.0);
        self.label_counts.resize(n, 0);
        for row in &mut self.confusion {
            row.resize(n, 0);
        }
        self.confusion.resize(n, vec![0; n]);
        // Images counted before had probability 0 for the new classes.
    }

    /// Adds a batch: `logits` row-major `[labels.len(), classes]`.
    ///
    /// ```
    /// use lenet::eval::EvalAccumulator;
    ///
    /// let mut acc = EvalAccumulator::default();
    /// let mut logits = vec![0.0f32; 20];
    /// logits[3] = 5.0; // image 0 → 3
    /// logits[10 + 7] = 5.0; // image 1 → 7
    /// acc.add(&logits, &[3, 1]);
    /// let eval = acc.finish();
    /// assert_eq!(eval.accuracy, 0.5);
    /// assert_eq!(eval.confusion[1][7], 1);
    /// assert_eq!(eval.predictions, [3, 7]);
    ///
    /// // Twelve outputs: the tables have twelve classes.
    /// let mut acc = EvalAccumulator::new(12);
    /// acc.add(&[0.0; 12], &[5]);
    /// assert_eq!(acc.finish().confusion.len(), 12);
    /// ```
    pub fn add(&mut self, logits: &[f32], labels: &[u8]) {
        for (row, &label) in logits.chunks_exact(self.classes).zip(labels) {
            let label = label as usize;
            self.cover(label + 1);
            let (predicted, _) =
                row.iter()
                    .enumerate()
                    .fold((0, &f32::NEG_INFINITY), |best, (i, v)| {
                        if *v > *best.1 { (i, v) } else { best }
                    });
            let softmax = Softmax::of(row);
            self.loss_sum += softmax.cross_entropy(row, label);
            for (class, error) in self.squared_error.iter_mut().enumerate() {
                let probability = softmax.probability(class);
                let target = if class == label { 1.0 } else { 0.0 };
                *error += (probability - target).powi(2);
            }
            self.confusion[label][predicted] += 1;
            self.predictions.push(predicted.min(u8::MAX as usize) as u8);
            self.label_counts[label] += 1;
            self.correct += usize::from(predicted == label);
            self.count += 1;
        }
    }

    /// Images added so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// All the metrics.
    pub fn finish(&self) -> Evaluation {
        let n = self.count.max(1) as f64;
        let n_classes = self.label_counts.len();
        let per_class: Vec<ClassMetrics> = (0..n_classes)
            .map(|digit| {
                let hits = self.confusion[digit][digit] as f64;
                let predicted: usize = (0..n_classes).map(|t| self.confusion[t][digit]).sum();
                let support = self.label_counts[digit];
                let precision = ratio(hits, predicted as f64);
                let recall = ratio(hits, support as f64);
                ClassMetrics {
                    digit,
                    precision,
                    recall,
                    f1: ratio(2.0 * precision * recall, precision + recall),
                    support,
                }
            })
            .collect();
        let average = |weight: &dyn Fn(&ClassMetrics) -> f64| {
            let total: f64 = per_class.iter().map(weight).sum();
            let mean = |f: &dyn Fn(&ClassMetrics) -> f64| {
                ratio(per_class.iter().map(|c| weight(c) * f(c)).sum(), total)
            };
            Averages {
                precision: mean(&|c| c.precision),
                recall: mean(&|c| c.recall),
                f1: mean(&|c| c.f1),
            }
        };
        // R² per column: 1 − SS_res / SS_tot, where a one-hot column with
        // frequency p has SS_tot = n·p·(1 − p).
        let r2_columns: Vec<f64> = (0..n_classes)
            .map(|c| {
                let p = self.label_counts[c] as f64 / n;
                let total = n * p * (1.0 - p);
                if total > 0.0 {
                    1.0 - self.squared_error[c] / total
                } else {
                    0.0
                }
            })
            .collect();
        Evaluation {
            count: self.count,
            correct: self.correct,
            accuracy: self.correct as f64 / n,
            loss: self.loss_sum / n,
            macro_avg: average(&|_| 1.0),
            weighted_avg: average(&|c| c.support as f64),
            per_class,
            confusion: self.confusion.clone(),
            mse: self.squared_error.iter().sum::<f64>() / (n * n_classes as f64),
            r2: r2_columns.iter().sum::<f64>() / n_classes as f64,
            predictions: self.predictions.clone(),
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Evaluates `model` on every image of `split`, in batches of `batch_size`,
/// with the normalisation the model was trained with. It reads as many logits
/// per image as the model has classes ([`EvalAccumulator::new`]), on the model's
/// own device.
///
/// It changes nothing process-wide. To have subnormal floats flushed to zero
/// while it runs (as `train` does for its own evaluations), hold a
/// [`FlushSubnormals`](crate::subnormals::FlushSubnormals) guard around the call;
/// for glibc's `malloc` settings that make it faster, call
/// [`tune_allocator`](crate::train::tune_allocator) first.
///
/// ```no_run
/// use lenet::data::{Mnist, Normalization};
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("auto")?;
/// let mnist = Mnist::load("data/mnist".as_ref())?;
/// let model = LeNetConfig::new(Architecture::LENET5).init(&device);
/// let eval = lenet::evaluate(&model, &mnist.test, Normalization::None, 1000);
/// println!("{eval}");
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn evaluate(
    model: &LeNet,
    split: &MnistSplit,
    normalization: Normalization,
    batch_size: usize,
) -> Evaluation {
    evaluate_flushing(
        model,
        split,
        normalization,
        batch_size,
        &model.device(),
        false,
    )
}

/// [`evaluate`], with subnormals flushed (`flush`) or IEEE.
pub(crate) fn evaluate_flushing(
    model: &LeNet,
    split: &MnistSplit,
    normalization: Normalization,
    batch_size: usize,
    device: &Device,
    flush: bool,
) -> Evaluation {
    let batcher = MnistBatcher::new(normalization);
    let indices: Vec<usize> = (0..split.len()).collect();
    evaluate_batches(model, split.labels(), batch_size, flush, |range| {
        batcher.batch_from_split(split, &indices[range], device)
    })
}

/// Evaluates `model` on the images whose `labels` are given, taking batches of
/// `batch_size` from `batch` (which builds the batch of the images in a range).
/// The logits of every batch stay on the device until all are computed, and come
/// back in one read: one wait for the device per evaluation.
pub(crate) fn evaluate_batches(
    model: &LeNet,
    labels: &[u8],
    batch_size: usize,
    flush: bool,
    batch: impl Fn(std::ops::Range<usize>) -> MnistBatch + Sync,
) -> Evaluation {
    // SAFETY: the forward pass's result does not depend on how a subnormal
    // constant would be folded at compile time (see `subnormals`).
    let _flush = flush.then(|| unsafe { crate::subnormals::FlushSubnormals::enable() });
    let batch_size = batch_size.max(1);
    let logits: Vec<Tensor<2>> = crate::worker::on_worker(&model.device(), || {
        (0..labels.len())
            .step_by(batch_size)
            .map(|start| {
                let end = (start + batch_size).min(labels.len());
                model.forward(batch(start..end).images)
            })
            .collect()
    });
    let mut acc = EvalAccumulator::new(model.architecture().num_classes());
    if !logits.is_empty() {
        let values = Tensor::cat(logits, 0)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("logits converted to f32");
        acc.add(&values, labels);
    }
    acc.finish()
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} images: accuracy {:.2}% ({} wrong), loss {:.4}, MSE {:.5}, R² {:.4}",
            self.count,
            100.0 * self.accuracy,
            self.count - self.correct,
            self.loss,
            self.mse,
            self.r2
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:>12} {:>10} {:>10} {:>10} {:>9}",
            "digit", "precision", "recall", "f1", "support"
        )?;
        for c in &self.per_class {
            writeln!(
                f,
                "{:>12} {:>10.4} {:>10.4} {:>10.4} {:>9}",
                c.digit, c.precision, c.recall, c.f1, c.support
            )?;
        }
        for (name, avg) in [
            ("macro avg", self.macro_avg),
            ("weighted avg", self.weighted_avg),
        ] {
            writeln!(
                f,
                "{:>12} {:>10.4} {:>10.4} {:>10.4} {:>9}",
                name, avg.precision, avg.recall, avg.f1, self.count
            )?;
        }
        writeln!(f)?;
        writeln!(f, "confusion matrix (rows: true digit, columns: predicted)")?;
        write!(f, "     ")?;
        for p in 0..self.confusion.len() {
            write!(f, "{p:>6}")?;
        }
        for (t, row) in self.confusion.iter().enumerate() {
            write!(f, "\n{t:>5}")?;
            for count in row {
                write!(f, "{count:>6}")?;
            }
        }
        Ok(())
    }
}
