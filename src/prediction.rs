//! A row of logits read as classes: the softmax, the most probable class, how
//! sure the model is. Core (no pictures): evaluation, the web app and photo
//! prediction all read logits so.

use serde::Serialize;

/// The softmax of one row of logits, in `f64` and shifted by the largest logit,
/// so that no finite logits overflow: the one way this crate turns logits into
/// probabilities and cross-entropy.
pub(crate) struct Softmax {
    /// The largest logit.
    max: f32,
    /// `exp(logit − max)` for each class.
    exps: Vec<f64>,
    /// Their sum (at least 1: the largest is exp(0)).
    sum: f64,
}

impl Softmax {
    pub(crate) fn of(logits: &[f32]) -> Self {
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f64> = logits
            .iter()
            .map(|&logit| f64::from(logit - max).exp())
            .collect();
        let sum = exps.iter().sum();
        Self { max, exps, sum }
    }

    /// The probability of `class` (0 for a class past the row).
    pub(crate) fn probability(&self, class: usize) -> f64 {
        self.exps.get(class).map_or(0.0, |e| e / self.sum)
    }

    /// −ln of `class`'s probability, from its logit (exact where the probability
    /// itself would round to 0); infinite for a class past the row.
    pub(crate) fn cross_entropy(&self, logits: &[f32], class: usize) -> f64 {
        match logits.get(class) {
            Some(&logit) => self.sum.ln() - f64::from(logit - self.max),
            None => f64::INFINITY,
        }
    }
}

/// Below this top probability a prediction is flagged as ambiguous.
pub const AMBIGUOUS_BELOW: f32 = 0.6;

/// What the model thinks a digit is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The most probable class (digit).
    pub class: usize,
    /// Softmax probability of each class, one per output of the model (ten
    /// digits 0–9 for MNIST).
    pub probabilities: Vec<f32>,
    /// Whether every logit was a finite number. A model that diverged gives NaN
    /// or infinite logits: then `class` is 0 and means nothing, the probabilities
    /// are NaN, and [`is_ambiguous`](Self::is_ambiguous) is true.
    pub valid: bool,
}

impl Prediction {
    /// From one row of logits.
    ///
    /// ```
    /// use lenet::Prediction;
    ///
    /// let p = Prediction::from_logits(&[0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    /// assert_eq!(p.class, 3);
    /// assert_eq!(p.top(2)[1].0, 8);
    /// assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    /// assert!(p.valid && !p.is_ambiguous());
    ///
    /// let broken = Prediction::from_logits(&[f32::NAN; 10]);
    /// assert!(!broken.valid && broken.is_ambiguous());
    /// ```
    pub fn from_logits(logits: &[f32]) -> Self {
        if !logits.iter().all(|l| l.is_finite()) {
            return Self::from_probabilities(vec![f32::NAN; logits.len()]);
        }
        let softmax = Softmax::of(logits);
        let probabilities: Vec<f32> = (0..logits.len())
            .map(|class| softmax.probability(class) as f32)
            .collect();
        Self::from_probabilities(probabilities)
    }

    /// From the probabilities of each class: the most probable one (the first of
    /// equals); valid where every probability is a finite number.
    fn from_probabilities(probabilities: Vec<f32>) -> Self {
        let valid = probabilities.iter().all(|p| p.is_finite());
        let class = probabilities
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, &p)| {
                if p > best.1 { (i, p) } else { best }
            })
            .0;
        Self {
            class: if valid { class } else { 0 },
            probabilities,
            valid,
        }
    }

    /// The prediction of an ensemble: the mean of several models' probabilities
    /// for the same input (their softmax outputs averaged, as ensembles of CNNs
    /// commonly are). Invalid where any member is; `None` for no predictions or
    /// predictions over different numbers of classes.
    ///
    /// ```
    /// use lenet::Prediction;
    ///
    /// let mut logits = [0.0; 10];
    /// logits[3] = 2.0;
    /// let sure_three = Prediction::from_logits(&logits);
    /// logits[3] = 0.0;
    /// logits[8] = 1.0;
    /// let unsure_eight = Prediction::from_logits(&logits);
    /// let both = Prediction::average(&[sure_three, unsure_eight]).unwrap();
    /// assert_eq!(both.class, 3);
    /// assert!((both.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    /// assert!(Prediction::average(&[]).is_none());
    /// ```
    pub fn average(predictions: &[Prediction]) -> Option<Self> {
        let classes = predictions.first()?.probabilities.len();
        if predictions.iter().any(|p| p.probabilities.len() != classes) {
            return None;
        }
        if predictions.iter().any(|p| !p.valid) {
            return Some(Self::from_probabilities(vec![f32::NAN; classes]));
        }
        let count = predictions.len() as f64;
        let probabilities = (0..classes)
            .map(|class| {
                let sum: f64 = predictions
                    .iter()
                    .map(|p| f64::from(p.probabilities[class]))
                    .sum();
                (sum / count) as f32
            })
            .collect();
        Some(Self::from_probabilities(probabilities))
    }

    /// Whether this reads `label`: a valid prediction of that class.
    ///
    /// ```
    /// use lenet::Prediction;
    ///
    /// let three = Prediction::from_logits(&[0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    /// assert!(three.reads(3) && !three.reads(8));
    /// assert!(!Prediction::from_logits(&[f32::NAN; 10]).reads(0));
    /// ```
    pub fn reads(&self, label: usize) -> bool {
        self.valid && self.class == label
    }

    /// The `k` most probable digits with their probabilities, best first.
    pub fn top(&self, k: usize) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> =
            self.probabilities.iter().cloned().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(k);
        ranked
    }

    /// The probability of the predicted digit.
    pub fn confidence(&self) -> f32 {
        self.probabilities[self.class]
    }

    /// Whether the model is unsure (top probability below [`AMBIGUOUS_BELOW`], or
    /// no valid prediction at all).
    pub fn is_ambiguous(&self) -> bool {
        !self.valid || self.confidence() < AMBIGUOUS_BELOW
    }
}

/// An ensemble's predictions of several inputs from each model's predictions of
/// them (`per_model[m][i]`: model `m`, input `i`): for each input, the
/// [`average`](Prediction::average) of its models'. `None` for no models, models
/// that predicted different numbers of inputs, or over different classes.
///
/// ```
/// use lenet::prediction::{Prediction, ensemble};
///
/// let reading = |class: usize, logit: f32| {
///     let mut logits = [0.0; 10];
///     logits[class] = logit;
///     Prediction::from_logits(&logits)
/// };
/// let a = vec![reading(3, 4.0), reading(7, 1.0)];
/// let b = vec![reading(3, 1.0), reading(1, 3.0)];
/// let both = ensemble(&[a, b]).unwrap();
/// assert_eq!((both[0].class, both[1].class), (3, 1));
/// ```
pub fn ensemble(per_model: &[Vec<Prediction>]) -> Option<Vec<Prediction>> {
    let inputs = per_model.first()?.len();
    if per_model.iter().any(|p| p.len() != inputs) {
        return None;
    }
    (0..inputs)
        .map(|i| {
            let members: Vec<Prediction> = per_model.iter().map(|p| p[i].clone()).collect();
            Prediction::average(&members)
        })
        .collect()
}

/// The fraction of pictures read right: `predictions[i]`
/// [`reads`](Prediction::reads) `labels[i]`. Where one list is longer, its
/// extra entries count as misread; 0 for no pictures.
///
/// ```
/// use lenet::prediction::{Prediction, read_rate};
///
/// let predicting = |class: usize| {
///     let mut logits = [0.0; 10];
///     logits[class] = 4.0;
///     Prediction::from_logits(&logits)
/// };
/// let predictions = [predicting(7), predicting(2), predicting(1), predicting(0)];
/// assert_eq!(read_rate(&predictions, &[7, 2, 1, 9]), 0.75);
/// assert_eq!(read_rate(&predictions[..2], &[7, 2, 1, 9]), 0.5);
/// assert_eq!(read_rate(&[], &[]), 0.0);
/// ```
pub fn read_rate(predictions: &[Prediction], labels: &[usize]) -> f64 {
    let right = predictions
        .iter()
        .zip(labels)
        .filter(|(prediction, label)| prediction.reads(**label))
        .count();
    right as f64 / predictions.len().max(labels.len()).max(1) as f64
}
