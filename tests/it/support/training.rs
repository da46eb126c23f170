//! Training as most tests do it: the default options (no checkpoints), silently.

use burn::tensor::Device;
use lenet::data::Mnist;
use lenet::train::{RunOptions, Silent};
use lenet::{TrainConfig, Trained};

/// Trains `config` on `data` on `device` with the default [`RunOptions`].
pub fn train(config: &TrainConfig, data: &Mnist, device: &Device) -> lenet::Result<Trained> {
    lenet::train(config, &RunOptions::new(), data, device, &mut Silent)
}
