//! Reading a user's own picture of a digit: MNIST-like preprocessing and prediction.

mod evaluation;
mod gray;
mod labels;
#[cfg(feature = "tutorial")]
mod lookalike;
mod mask;
mod polarity;
mod prediction;
mod preprocess;
mod strays;
mod stroke;
mod surroundings;
mod views;

pub use crate::picture::{
    DecodeLimits, MAX_DECODED_BYTES, MAX_DIMENSION, MAX_PICTURE_FILE_BYTES, PictureError,
};
pub use crate::prediction::{AMBIGUOUS_BELOW, Prediction, ensemble, read_rate};
pub use evaluation::evaluate_with_views;
pub use labels::{LabelScore, Labels, MAX_LABELS_BYTES};
#[cfg(feature = "tutorial")]
pub use lookalike::{
    LookalikeStyle, MAX_FRAME_SCALE, PHOTO_SIZE, lookalike, lookalike_in_larger_frame,
};
pub use polarity::Polarity;
pub use prediction::{predict, predict_batch, predict_ensemble};
pub use preprocess::{
    PreparedDigit, Preprocess, decode, decode_with, prepare_image, prepare_image_file,
};
pub use stroke::{MNIST_STROKE_WIDTH, stroke_width};
pub use views::Views;
