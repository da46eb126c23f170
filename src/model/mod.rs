//! Architectures as lists of layers, the module that holds their weights, the
//! walk over the list, the summary and the weight files.

mod architecture;
mod fused;
mod init;
mod layer;
mod lenet;
mod pytorch;
mod receptive_field;
mod spec;
mod spec_problem;
mod summary;
mod weights;

pub use architecture::{
    Architecture, INPUT_CHANNELS, INPUT_SIZE, MAX_ACTIVATION_VALUES, MAX_LAYER_VALUES, MAX_LAYERS,
    MAX_PARAMS, MAX_SPEC_BYTES, PlannedLayer, Shape,
};
pub use fused::fused_kernels_by_default;
pub use layer::{Layer, LayerKind, LayerName, LayerStep, NoTap, Tap};
pub use lenet::{LeNet, LeNetConfig};
pub(crate) use pytorch::read_safetensors;
pub use pytorch::{PYTORCH_PREFIX, PytorchKey, load_pytorch, pytorch_keys};
pub use receptive_field::ReceptiveField;
pub use spec::LayerSpec;
pub use spec_problem::SpecProblem;
pub use summary::{LayerSummary, Summary};
pub(crate) use weights::{max_weights_bytes, read_burnpack};
