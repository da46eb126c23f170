//! The architectures, their shared building blocks, the layer walk and the summary.

mod architecture;
mod blocks;
mod fused;
mod layer;
mod lenet;
mod pytorch;
pub(crate) mod summary;
mod weights;

pub use architecture::{Architecture, INPUT_SIZE};
pub use blocks::{Classifier, ConvStage};
pub use fused::{fused_kernels, set_fused_kernels};
pub use layer::{Layer, LayerKind, LayerName, LayerStep, NoTap, Tap};
pub use lenet::{LeNet, LeNetConfig};
pub(crate) use pytorch::read_safetensors;
pub use pytorch::{PYTORCH_PREFIX, PytorchKey, load_pytorch, pytorch_keys};
pub use summary::{LayerSummary, Summary};
