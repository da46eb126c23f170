//! The full evaluation of a model on a labelled split, each image read as
//! `predict` reads a picture: with [`Views`], their probabilities averaged.
//!
//! [`crate::evaluate`] reads each image once, as training measured it; a user's
//! picture is read in seven views. This gives the same tables (accuracy, the
//! classes, the confusion matrix) for the second way, so the test-set figure of
//! the reading users get comes from one command (`evaluate --views`).

use super::preprocess::PreparedDigit;
use super::views::Views;
use crate::SavedModel;
use crate::data::MnistSplit;
use crate::eval::{EvalAccumulator, Evaluation};
use crate::prediction::Prediction;

/// Images prepared and read at once: bounds the prepared copies' memory (3 KiB
/// each) whatever the size of the split; `predict_batch` bounds each pass.
const IMAGES_PER_CHUNK: usize = 1000;

/// Evaluates `model` on `split` with each image also read in `views`, the
/// readings' probabilities averaged as [`predict_batch`](super::predict_batch)
/// does. The evaluation's loss and squared error are those of the averaged
/// probabilities; a model with non-finite logits gives a NaN loss, as with
/// [`crate::evaluate`].
///
/// ```no_run
/// use lenet::SavedModel;
/// use lenet::data::{MnistSplit, Split};
/// use lenet::predict::{Views, evaluate_with_views};
///
/// let device = lenet::device("auto")?;
/// let model = SavedModel::load("runs/train_mnist/model.bpk".as_ref(), None, &device)?;
/// let test = MnistSplit::load("data/mnist".as_ref(), Split::Test)?;
/// let evaluation = evaluate_with_views(&model, &test, Views::SHIFTS_AND_SLANTS);
/// println!("{:.2}%", 100.0 * evaluation.accuracy);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn evaluate_with_views(model: &SavedModel, split: &MnistSplit, views: Views) -> Evaluation {
    let mut accumulator = EvalAccumulator::new(model.architecture.num_classes());
    let labels = split.labels();
    for start in (0..split.len()).step_by(IMAGES_PER_CHUNK) {
        let end = (start + IMAGES_PER_CHUNK).min(split.len());
        let digits: Vec<PreparedDigit> = (start..end)
            .map(|i| PreparedDigit::from_mnist(split.image(i)).with_views(views))
            .collect();
        let predictions = super::predict_batch(model, &digits);
        accumulator.add(&log_probabilities(&predictions), &labels[start..end]);
    }
    accumulator.finish()
}

/// The predictions' probabilities as logits: their logarithms, whose softmax
/// is the probabilities again (they sum to 1). A probability of 0 becomes the
/// smallest normal float's logarithm, so the loss stays finite; a NaN (a model
/// whose logits were not finite) stays NaN, so the loss says so as
/// [`crate::evaluate`]'s does.
fn log_probabilities(predictions: &[Prediction]) -> Vec<f32> {
    predictions
        .iter()
        .flat_map(|p| &p.probabilities)
        .map(|&q| {
            if q.is_nan() {
                q
            } else {
                q.max(f32::MIN_POSITIVE).ln()
            }
        })
        .collect()
}
