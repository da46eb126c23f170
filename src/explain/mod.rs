//! Why the model says what it says: which input pixels (and, for Grad-CAM, which
//! places of a hidden layer) push its score for a class up or down.
//!
//! - [`Explainer::saliency`]: the gradient of the class score with respect to the
//!   input (Simonyan et al., 2014), one backward pass.
//! - [`Explainer::integrated_gradients`]: the gradient averaged along the straight
//!   path from a blank picture to the input, times the input's difference from it
//!   (Sundararajan et al., 2017); its values add up to the score's change.
//! - [`Explainer::grad_cam`]: a hidden map layer's channels weighted by their
//!   spatially averaged gradient (Selvaraju et al., 2017), on any layer before the
//!   flatten, drawn over the input through the layer's receptive field.
//! - [`Explainer::occlusion`]: how much the class probability falls when a patch
//!   of the input is blanked out (Zeiler & Fergus, 2014), one batched forward pass.
//!
//! The score is the class's logit (before the softmax), as in those papers.
//! Inputs and results are plain numbers: a 28×28 input as the model takes it
//! (normalised), and [`Heatmap`]s. Gradients run through Burn's layers on an
//! autodiff copy of the model; occlusion through the model as it is.
//!
//! ```
//! use lenet::explain::Explainer;
//! use lenet::{Architecture, LeNetConfig};
//!
//! let device = lenet::device("flex")?;
//! let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
//! let explainer = Explainer::new(&model, 0.0); // a blank pixel is 0.0 for this model
//! let mut input = vec![0.0; 28 * 28];
//! input[14 * 28 + 10..14 * 28 + 18].fill(1.0); // a short horizontal stroke
//!
//! let saliency = explainer.saliency(&input, 3)?;
//! assert_eq!((saliency.height, saliency.width), (28, 28));
//! let cam = explainer.grad_cam(&input, "conv2", 3)?;
//! assert_eq!(cam.weights.len(), 16); // one per conv2 channel
//! assert_eq!((cam.map.height, cam.on_input.height), (10, 28));
//! # Ok::<(), lenet::Error>(())
//! ```

mod grad_cam;
mod gradients;
mod heatmap;
mod occlusion;

pub use grad_cam::GradCam;
pub use heatmap::Heatmap;
pub use occlusion::Occlusion;

use burn::module::Module;
use burn::tensor::Tensor;

use crate::data::{IMAGE_PIXELS, Normalization};
use crate::model::LeNet;
use crate::{Error, Result};

/// A model ready to be explained: the model itself (for forward passes) and a
/// copy that records gradients. Build it once and explain many inputs.
#[derive(Debug, Clone)]
pub struct Explainer {
    model: LeNet,
    differentiable: LeNet,
    background: f32,
    /// The most images one forward (and backward) pass takes.
    max_batch: usize,
}

/// The memory an explanation's batches are sized for by default
/// ([`Explainer::with_memory`]).
pub const DEFAULT_MEMORY: usize = 64 * 1024 * 1024;

impl Explainer {
    /// Explains `model`, whose input for a blank pixel is `background` (the
    /// baseline of integrated gradients and the fill of occlusion): `0.0` for
    /// inputs in `[0, 1]`, [`Normalization::apply`]`(0)` in general (see
    /// [`for_normalization`](Self::for_normalization)).
    pub fn new(model: &LeNet, background: f32) -> Self {
        // Burn's layers: their backward gives the input's gradient on every backend.
        // The weights' gradients are not needed.
        let differentiable = model.clone().with_fused_kernels(false).train().no_grad();
        Self {
            max_batch: model.architecture().batch_within(DEFAULT_MEMORY),
            model: model.clone(),
            differentiable,
            background,
        }
    }

    /// The same explainer with batches sized so that the layers' outputs of one
    /// pass fit in `bytes` ([`Architecture::batch_within`](crate::Architecture::batch_within)):
    /// occlusion's patches and integrated gradients' steps then run in as many
    /// passes as that takes (the results change only in the last bits of the
    /// sums).
    ///
    /// ```
    /// use lenet::explain::{Explainer, Occlusion};
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    /// let input = vec![0.5; 28 * 28];
    /// let whole = Explainer::new(&model, 0.0).occlusion(&input, 1, Occlusion::default())?;
    /// let small = Explainer::new(&model, 0.0)
    ///     .with_memory(1 << 20) // 5 images a pass
    ///     .occlusion(&input, 1, Occlusion::default())?;
    /// let worst = whole.values.iter().zip(&small.values).map(|(a, b)| (a - b).abs());
    /// assert!(worst.fold(0.0, f32::max) < 1e-6);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn with_memory(mut self, bytes: usize) -> Self {
        self.max_batch = self.model.architecture().batch_within(bytes);
        self
    }

    /// [`new`](Self::new) for a model trained with `normalization`.
    pub fn for_normalization(model: &LeNet, normalization: Normalization) -> Self {
        Self::new(model, normalization.apply(0))
    }

    /// The model being explained.
    pub fn model(&self) -> &LeNet {
        &self.model
    }

    /// The input value of a blank pixel.
    pub fn background(&self) -> f32 {
        self.background
    }

    /// Checks an input and a class against the model.
    fn check(&self, input: &[f32], class: usize) -> Result<()> {
        if input.len() != IMAGE_PIXELS {
            return Err(Error::InvalidArgument(format!(
                "an input to explain has {IMAGE_PIXELS} values (28×28), not {}",
                input.len()
            )));
        }
        let classes = self.model.architecture().num_classes();
        if class >= classes {
            return Err(Error::InvalidArgument(format!(
                "class {class} does not exist: the model has {classes} classes"
            )));
        }
        Ok(())
    }
}

/// The integrated gradients' steps the explorer and the report take: enough
/// for a picture (the sum is within a few percent of the score's change),
/// few enough for an answer in milliseconds.
pub const DEFAULT_STEPS: usize = 16;

/// Every explanation of one input for one class, as the explorer and the
/// report show them ([`Explainer::every_explanation`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Explanations {
    /// ∂score/∂pixel, signed.
    pub saliency: Heatmap,
    /// From a blank picture, [`DEFAULT_STEPS`] steps.
    pub integrated_gradients: Heatmap,
    /// 6×6 patches every 2 pixels ([`Occlusion::default`]).
    pub occlusion: Heatmap,
    /// On the layer asked for, else the last convolution's output; `None` for a
    /// network without maps.
    pub grad_cam: Option<GradCam>,
}

impl Explainer {
    /// Saliency, integrated gradients ([`DEFAULT_STEPS`]), occlusion
    /// ([`Occlusion::default`]) and Grad-CAM (on `layer`, else
    /// [`GradCam::default_layer`]) of `input` for `class`.
    ///
    /// ```
    /// use lenet::explain::Explainer;
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    /// let all = Explainer::new(&model, 0.0).every_explanation(&vec![0.5; 784], 7, None)?;
    /// assert_eq!(all.grad_cam.unwrap().layer, "conv2");
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn every_explanation(
        &self,
        input: &[f32],
        class: usize,
        layer: Option<&str>,
    ) -> Result<Explanations> {
        let layer = layer
            .map(str::to_string)
            .or_else(|| GradCam::default_layer(self.model.architecture()));
        Ok(Explanations {
            saliency: self.saliency(input, class)?,
            integrated_gradients: self.integrated_gradients(input, class, DEFAULT_STEPS)?,
            occlusion: self.occlusion(input, class, Occlusion::default())?,
            grad_cam: match layer {
                Some(layer) => Some(self.grad_cam(input, &layer, class)?),
                None => None,
            },
        })
    }
}

/// A tensor's values on the host.
fn host<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("model values are floats")
}
