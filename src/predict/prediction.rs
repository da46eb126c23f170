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

/// Predicts many prepared digits in one forward pass.
pub fn predict_batch(model: &SavedModel, digits: &[PreparedDigit]) -> Vec<Prediction> {
    if digits.is_empty() {
        return Vec::new();
    }
    let device = model.model.device();
    let values: Vec<f32> = digits
        .iter()
        .flat_map(|d| d.model_input(model.normalization))
        .collect();
    let input = crate::data::images_tensor(values, digits.len(), &device);
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
/// measures, three models trained with different seeds read together at least as
/// well as their mean one, without a draw from the seeds' spread; each adds one
/// forward pass. One model gives [`predict_batch`]'s predictions.
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
