//! Reading a user's own picture of a digit: MNIST-like preprocessing and prediction.

mod lookalike;
mod prediction;
mod preprocess;
mod stroke;

pub use lookalike::{LookalikeStyle, lookalike};
pub use prediction::{AMBIGUOUS_BELOW, Prediction, predict, predict_batch, read_rate};
pub use preprocess::{
    MAX_DECODED_BYTES, MAX_DIMENSION, PictureError, Polarity, PreparedDigit, Preprocess, decode,
    prepare_image, prepare_image_file,
};
pub use stroke::{MNIST_STROKE_WIDTH, stroke_width};
