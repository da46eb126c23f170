//! Asking the model what a prepared digit is.

use super::preprocess::PreparedDigit;
use crate::prediction::{Prediction, ensemble};
use crate::{Error, Result, SavedModel};

/// Predicts one prepared digit with a saved model (its own normalisation).
///
/// ```no_run
/// use lenet::SavedModel;
/// use lenet::predict::{Preprocess, predict, prepare_image_file};
///
/// let device = lenet::device("auto")?;
/// let model = SavedModel::load("runs/train_mnist/model.bpk".as_ref(), None, &device)?;
/// let digit = prepare_image_file("five.jpg".as_ref(), &Preprocess::default())?;
/// println!("{}", predict(&model, &digit).class);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn predict(model: &SavedModel, digit: &PreparedDigit) -> Prediction {
    predict_batch(model, std::slice::from_ref(digit)).remove(0)
}

/// Readings of digits put through the model at once: bounds a pass's memory
/// whatever the number of digits (a reading is 784 values, 3 KiB).
const READINGS_PER_PASS: usize = 1024;

/// Predicts many prepared digits, in batched forward passes of at most 1,024
/// readings. A digit with [`views`](PreparedDigit::views) is read in each of them
/// too (made as its pass is) and its probabilities averaged
/// ([`Prediction::average`]); one without is read once.
pub fn predict_batch(model: &SavedModel, digits: &[PreparedDigit]) -> Vec<Prediction> {
    let readings_of = PreparedDigit::readings;
    let mut predictions = Vec::with_capacity(digits.len());
    let mut rest = digits;
    while !rest.is_empty() {
        // As many digits as fit in one pass, and at least one.
        let (mut count, mut readings) = (1, readings_of(&rest[0]));
        while count < rest.len() && readings + readings_of(&rest[count]) <= READINGS_PER_PASS {
            readings += readings_of(&rest[count]);
            count += 1;
        }
        let (group, later) = rest.split_at(count);
        let values: Vec<f32> = group
            .iter()
            .flat_map(|d| d.model_inputs(model.normalization))
            .flatten()
            .collect();
        let mut rows = forward(model, values, readings).into_iter();
        for digit in group {
            let mut each: Vec<Prediction> = rows.by_ref().take(readings_of(digit)).collect();
            predictions.push(if each.len() == 1 {
                each.remove(0)
            } else {
                Prediction::average(&each).expect("one model's readings have its classes")
            });
        }
        rest = later;
    }
    predictions
}

/// One prediction per 784 `values` of model input.
fn forward(model: &SavedModel, values: Vec<f32>, count: usize) -> Vec<Prediction> {
    let input = crate::data::images_tensor(values, count, &model.model.device());
    let logits = model
        .model
        .forward(input)
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("logits are floats");
    logits
        .chunks_exact(model.architecture.num_classes())
        .map(Prediction::from_logits)
        .collect()
}

/// Predicts many prepared digits with an ensemble: each model reads them (with
/// its own normalisation) and their probabilities are averaged
/// ([`Prediction::average`]). On the pictures unlike MNIST that docs/PREDICT.md
/// measures, three models trained with different seeds read together as well as
/// their mean one or better on each of the 15 sets, without a draw from the
/// seeds' spread; each model adds its readings of every digit (seven with the default
/// [`Views`](super::Views)). One model gives [`predict_batch`]'s predictions.
///
/// ```no_run
/// use lenet::SavedModel;
/// use lenet::predict::{Preprocess, predict_ensemble, prepare_image_file};
///
/// let device = lenet::device("auto")?;
/// let models = ["runs/seed0/model.bpk", "runs/seed1/model.bpk"]
///     .map(|path| SavedModel::load(path.as_ref(), None, &device));
/// let models: Vec<SavedModel> = models.into_iter().collect::<Result<_, _>>()?;
/// let digit = prepare_image_file("five.jpg".as_ref(), &Preprocess::default())?;
/// println!("{}", predict_ensemble(&models, &[digit])?[0].class);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn predict_ensemble(
    models: &[SavedModel],
    digits: &[PreparedDigit],
) -> Result<Vec<Prediction>> {
    let Some(first) = models.first() else {
        return Err(Error::InvalidArgument(
            "an ensemble needs at least one model".into(),
        ));
    };
    let classes = first.architecture.num_classes();
    if let Some(other) = models
        .iter()
        .find(|m| m.architecture.num_classes() != classes)
    {
        return Err(Error::InvalidArgument(format!(
            "an ensemble's models must give the same classes: {} gives {classes}, {} gives {}",
            first.architecture,
            other.architecture,
            other.architecture.num_classes()
        )));
    }
    let each: Vec<Vec<Prediction>> = models.iter().map(|m| predict_batch(m, digits)).collect();
    Ok(ensemble(&each).expect("at least one model, one class count, every digit each"))
}
