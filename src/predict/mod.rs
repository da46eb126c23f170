//! Reading a user's own picture of a digit: MNIST-like preprocessing and prediction.

mod prediction;
mod preprocess;

pub use prediction::{AMBIGUOUS_BELOW, Prediction, predict, predict_batch};
pub use preprocess::{
    MAX_DECODED_BYTES, MAX_DIMENSION, PictureError, Polarity, PreparedDigit, Preprocess, decode,
    prepare_image, prepare_image_file,
};
