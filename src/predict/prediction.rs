//! Asking the model what a prepared digit is.

use super::preprocess::PreparedDigit;
use crate::SavedModel;
use crate::prediction::Prediction;

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
