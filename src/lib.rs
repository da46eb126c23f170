//! # lenet — the LeNet5 tutorial, in Rust, done right
//!
//! The networks of the classic PyTorch LeNet5 tutorial as [Burn](https://burn.dev)
//! modules — [`Architecture::LENET5`] (61,706 parameters),
//! [`Architecture::EXTRA_CONV`] (one more convolution, 30,378 parameters) and
//! [`Architecture::ONE_CONV`] (one fewer, 152,410 parameters), and any
//! LeNet-style network written as a one-line spec
//! (`"conv8k3p1-relu-pool-fc10".parse::<Architecture>()`) — with a
//! real MNIST loader, a torchinfo-style [`Summary`], and one walk over named layers
//! ([`LeNet::forward_observed`]) that lets you look at what every layer sees.
//!
//! Backends are chosen at run time: Flex (fast CPU, the default), NdArray (CPU) and
//! WGPU (GPU) through cargo features `flex`, `ndarray`, `wgpu`; see [`DeviceChoice`].
//!
//! ```
//! use burn::tensor::Tensor;
//! use lenet::{Architecture, LeNetConfig, Summary};
//!
//! let device = lenet::device("auto")?;
//! device.seed(42);
//! let model = LeNetConfig::new(Architecture::LENET5).init(&device);
//!
//! let logits = model.forward(Tensor::zeros([8, 1, 28, 28], &device));
//! assert_eq!(logits.dims(), [8, 10]);
//!
//! let summary = Summary::of(&model);
//! assert_eq!(summary.total_params, 61_706);
//! assert_eq!(summary.total_mult_adds, 423_038); // as torchinfo counts them
//! # Ok::<(), lenet::Error>(())
//! ```
//!
//! Training on MNIST and evaluating, as the tutorial does and better:
//!
//! ```no_run
//! use lenet::data::Mnist;
//! use lenet::train::{Recipe, RunOptions, Silent};
//! use lenet::Architecture;
//!
//! let device = lenet::device("auto")?;
//! let mnist = Mnist::load_or_download(None)?; // or Mnist::load(dir)
//! let config = Recipe::Tutorial.config(Architecture::LENET5).with_seed(0); // the recipe
//! let options = RunOptions::new(); // where checkpoints go (none here), how often it reports
//! let trained = lenet::train(&config, &options, &mnist, &device, &mut Silent)?;
//! println!("{}", trained.evaluation); // accuracy, per-class F1, confusion matrix
//!
//! let maps = lenet::extract_feature_maps(&trained.model, mnist.test.image_tensor(0, &device));
//! println!("conv1 sees {:?}", maps.get("conv1").unwrap().item_shape()); // [6, 28, 28]
//! # Ok::<(), lenet::Error>(())
//! ```
//!
//! Modules: [`model`] (architectures, layer walk, summary, `.bpk`/`.pth`/`.safetensors`
//! weights), [`data`] (IDX, MNIST, batching, download), [`train`](mod@train) (config, loop,
//! checkpoints, resume), [`eval`] (metrics), [`features`] (activations of every layer),
//! [`predict`] (photos of digits), [`explain`] (saliency, integrated gradients,
//! Grad-CAM, occlusion), [`explore`] (the local web app), [`viz`] (pictures and
//! charts), [`lesson`] (gradient descent by hand and by autodiff),
//! [`device`](mod@device) (backend by name).
//!
//! Cargo features: `flex` (default), `ndarray`, `wgpu` pick the backends; `download`,
//! `viz`, `predict`, `report` and `explore` (all default) add the parts with heavy
//! dependencies. `default-features = false, features = ["flex"]` is the lean core:
//! models, MNIST from a directory, training, evaluation, summary, feature maps and
//! explanations.

#![warn(missing_docs)]

pub mod atomic_file;
pub mod compare;
pub mod data;
pub mod device;
mod error;
pub mod eval;
pub mod explain;
#[cfg(feature = "explore")]
pub mod explore;
pub mod features;
#[cfg(feature = "tutorial")]
pub mod lesson;
pub mod model;
pub mod picture;
#[cfg(feature = "predict")]
pub mod predict;
pub mod prediction;
mod raster;
mod read_limit;
#[cfg(feature = "report")]
pub mod report;
mod rng;
mod saved_model;
pub mod subnormals;
mod table;
pub mod train;
#[cfg(feature = "viz")]
pub mod viz;
mod worker;

pub use burn;
pub use device::{DeviceChoice, device};
pub use error::{CheckpointProblem, Error, LabelsProblem, Result};
pub use eval::{Evaluation, evaluate};
pub use features::{FeatureMaps, extract_feature_maps, extract_feature_maps_with};
pub use model::{
    Architecture, Layer, LayerKind, LayerName, LayerSpec, LayerStep, LeNet, LeNetConfig, NoTap,
    PlannedLayer, ReceptiveField, Summary, Tap,
};
pub use prediction::Prediction;
pub use saved_model::{SavedModel, WeightsFormat};
pub use train::{RunOptions, TrainConfig, Trained, resume, train};

/// The code in README.md and docs/PYTORCH.md, compiled as doctests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../docs/PYTORCH.md")]
pub struct DocumentationExamples;

/// docs/SCALING.md's code (burn-train's Learner, several GPUs), compiled where its
/// features are built (`--features ndarray,wgpu,learner`; CI builds its tests without
/// `wgpu`, so there only clippy and rustdoc see it).
#[cfg(all(doctest, feature = "learner", feature = "wgpu"))]
#[doc = include_str!("../docs/SCALING.md")]
pub struct ScalingExamples;
