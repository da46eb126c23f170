//! What every layer sees: the true activations of a model for an input.
//!
//! The tutorial re-runs the convolution weights by hand (no bias, ReLU, pooling
//! or padding), so its "feature maps" are 24×24 / 20×20 / 16×16 — pictures of
//! something the model never computes. Here the maps come from the model's own
//! forward pass ([`LeNet::forward_observed`]), so they are exactly what the next
//! layer receives: 28×28 after `conv1`, 10×10 after `conv2`, 1×1 after `conv3`.

use std::str::FromStr;

use burn::tensor::Tensor;
use serde::Serialize;

use crate::model::{LayerKind, LayerStep, LeNet, Tap};
use crate::{Error, Result};

/// Which layers to keep, like torchvision's `return_nodes`.
///
/// ```
/// use lenet::features::LayerSelection;
/// use lenet::LayerKind;
///
/// let conv_only: LayerSelection = "conv".parse()?; // a kind
/// assert!(conv_only.includes("conv2", LayerKind::Conv2d));
/// let named: LayerSelection = "conv1,pool2".parse()?; // names
/// assert!(!named.includes("conv2", LayerKind::Conv2d));
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LayerSelection {
    /// Every layer.
    #[default]
    All,
    /// Layers with these names (`conv1`, `relu3`, `fc2`, ...).
    Names(Vec<String>),
    /// Layers of these kinds.
    Kinds(Vec<LayerKind>),
}

impl LayerSelection {
    /// Whether the layer called `name`, of `kind`, is selected.
    pub fn includes(&self, name: &str, kind: LayerKind) -> bool {
        match self {
            LayerSelection::All => true,
            LayerSelection::Names(names) => names.iter().any(|n| n == name),
            LayerSelection::Kinds(kinds) => kinds.contains(&kind),
        }
    }
}

fn kind_from_word(word: &str) -> Option<LayerKind> {
    match word {
        "conv" | "conv2d" => Some(LayerKind::Conv2d),
        "relu" => Some(LayerKind::Relu),
        "pool" | "maxpool" | "maxpool2d" => Some(LayerKind::MaxPool2d),
        "avgpool" | "avgpool2d" => Some(LayerKind::AvgPool2d),
        "linear" | "fc" => Some(LayerKind::Linear),
        _ => None,
    }
}

impl FromStr for LayerSelection {
    type Err = Error;

    /// `all`; or comma-separated kinds (`conv`, `relu`, `pool`, `avgpool`, `fc`); or
    /// comma-separated layer names (`conv1,relu1,pool2`, `flatten`, `fc3`).
    fn from_str(text: &str) -> Result<Self> {
        let words: Vec<String> = text
            .split(',')
            .map(|w| w.trim().to_ascii_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() || words == ["all"] {
            return Ok(LayerSelection::All);
        }
        if let Some(kinds) = words
            .iter()
            .map(|w| kind_from_word(w))
            .collect::<Option<Vec<_>>>()
        {
            return Ok(LayerSelection::Kinds(kinds));
        }
        for word in &words {
            let stem = word.trim_end_matches(|c: char| c.is_ascii_digit());
            let numbered = stem.len() < word.len() && kind_from_word(stem).is_some();
            if !(numbered || word == "flatten") {
                return Err(Error::InvalidArgument(format!(
                    "unknown layer `{word}`: use `all`, kinds (conv, relu, pool, fc) or \
                     names (conv1, relu1, pool1, ..., flatten, fc1, ...)"
                )));
            }
        }
        Ok(LayerSelection::Names(words))
    }
}

/// One layer's output for a batch of images, as plain numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureMap {
    /// Stable layer name (`conv1`, `relu1`, ...).
    pub name: String,
    /// What the layer does.
    pub kind: LayerKind,
    /// Position in the forward pass (PyTorch's `net.<index>`).
    pub index: usize,
    /// Shape with the batch first, e.g. `[1, 6, 28, 28]` or `[1, 120]`.
    pub shape: Vec<usize>,
    /// Values, row-major in `shape`.
    #[serde(skip)]
    pub values: Vec<f32>,
}

impl FeatureMap {
    /// Number of images in the batch.
    pub fn batch(&self) -> usize {
        self.shape[0]
    }

    /// The shape of one image's output (`[6, 28, 28]`, `[120]`).
    pub fn item_shape(&self) -> &[usize] {
        &self.shape[1..]
    }

    /// Values of one image's output.
    pub fn item(&self, image: usize) -> &[f32] {
        let len: usize = self.item_shape().iter().product();
        &self.values[image * len..(image + 1) * len]
    }

    /// Channels of one image's output: `C` maps of `H×W` for a conv-shaped
    /// output, a single `1×N` map for a vector.
    pub fn channels(&self, image: usize) -> (usize, usize, usize) {
        match *self.item_shape() {
            [c, h, w] => (c, h, w),
            [n] => (1, 1, n),
            _ => (1, 1, self.item(image).len()),
        }
    }

    /// Smallest, largest and mean value over the whole batch.
    pub fn stats(&self) -> (f32, f32, f32) {
        let (min, max, sum) = self.values.iter().fold(
            (f32::INFINITY, f32::NEG_INFINITY, 0.0f64),
            |(lo, hi, s), &v| (lo.min(v), hi.max(v), s + v as f64),
        );
        (min, max, (sum / self.values.len().max(1) as f64) as f32)
    }
}

/// The selected layers' outputs for a batch, plus the logits of the same pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureMaps {
    /// The input images, `[N, 1, 28, 28]`, as the model saw them.
    pub input: FeatureMap,
    /// The selected layers, in forward order.
    pub layers: Vec<FeatureMap>,
    /// The logits `[N, 10]` of the same forward pass (equal to `forward`'s).
    #[serde(skip)]
    pub logits: Vec<f32>,
}

impl FeatureMaps {
    /// The layer called `name`, if it was selected.
    pub fn get(&self, name: &str) -> Option<&FeatureMap> {
        self.layers.iter().find(|l| l.name == name)
    }
}

/// Keeps the selected outputs as tensors until the pass is over.
struct Keep<'s> {
    selection: &'s LayerSelection,
    kept: Vec<(String, LayerKind, usize, Vec<usize>, Tensor<1>)>,
}

impl Tap for Keep<'_> {
    fn observe<const D: usize>(&mut self, step: &LayerStep<'_>, output: &Tensor<D>) {
        let name = step.name.to_string();
        if self.selection.includes(&name, step.layer.kind()) {
            let shape = output.dims().to_vec();
            let flat = output.clone().reshape([shape.iter().product::<usize>()]);
            self.kept
                .push((name, step.layer.kind(), step.index, shape, flat));
        }
    }
}

/// Every layer's output for `images` (`[N, 1, 28, 28]`, preprocessed as the
/// model was trained), on the model's device. See [`extract_feature_maps_with`]
/// to keep only some layers.
///
/// ```
/// use burn::tensor::Tensor;
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
/// let maps = lenet::extract_feature_maps(&model, Tensor::ones([1, 1, 28, 28], &device));
/// assert_eq!(maps.get("conv1").unwrap().item_shape(), &[6, 28, 28]);
/// assert_eq!(maps.get("pool2").unwrap().item_shape(), &[16, 5, 5]);
/// assert_eq!(maps.layers.len(), 12);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn extract_feature_maps(model: &LeNet, images: Tensor<4>) -> FeatureMaps {
    extract_feature_maps_with(model, images, &LayerSelection::All)
}

/// The outputs of the layers `selection` names, for `images`. All values leave
/// the device in one transfer, after the pass.
pub fn extract_feature_maps_with(
    model: &LeNet,
    images: Tensor<4>,
    selection: &LayerSelection,
) -> FeatureMaps {
    let input_shape = images.dims().to_vec();
    let mut keep = Keep {
        selection,
        kept: Vec::new(),
    };
    let logits = model.forward_observed(images.clone(), &mut keep);
    let logits_len: usize = logits.dims().iter().product();
    let input_len: usize = input_shape.iter().product();
    let mut parts = vec![images.reshape([input_len])];
    parts.extend(keep.kept.iter().map(|k| k.4.clone()));
    parts.push(logits.reshape([logits_len]));
    let all = Tensor::cat(parts, 0)
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("activations are floats");

    let mut offset = 0;
    let mut take = |len: usize| {
        let slice = all[offset..offset + len].to_vec();
        offset += len;
        slice
    };
    let input = FeatureMap {
        name: "input".into(),
        kind: LayerKind::Flatten,
        index: usize::MAX,
        values: take(input_len),
        shape: input_shape,
    };
    let layers = keep
        .kept
        .into_iter()
        .map(|(name, kind, index, shape, _)| FeatureMap {
            values: take(shape.iter().product()),
            name,
            kind,
            index,
            shape,
        })
        .collect();
    FeatureMaps {
        input,
        layers,
        logits: take(logits_len),
    }
}

/// One convolution's learned kernels, as plain numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvKernels {
    /// `conv1`, `conv2`, ...
    pub name: String,
    /// `[out_channels, in_channels, k, k]`.
    pub shape: [usize; 4],
    /// Weights, row-major in `shape`.
    #[serde(skip)]
    pub weights: Vec<f32>,
    /// One bias per output channel.
    pub bias: Vec<f32>,
}

impl LeNet {
    /// The kernels and biases of every convolution, in order.
    ///
    /// ```
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::EXTRA_CONV).init_seeded(&device, 0);
    /// let kernels = model.conv_kernels();
    /// assert_eq!(kernels[2].shape, [32, 16, 5, 5]);
    /// assert_eq!(kernels[0].bias.len(), 6);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn conv_kernels(&self) -> Vec<ConvKernels> {
        self.convolutions()
            .enumerate()
            .map(|(i, conv)| ConvKernels {
                name: format!("conv{}", i + 1),
                shape: conv.weight.val().dims(),
                weights: conv
                    .weight
                    .val()
                    .into_data()
                    .try_into_vec_as::<f32>()
                    .expect("weights are floats"),
                bias: conv
                    .bias
                    .as_ref()
                    .map(|b| {
                        b.val()
                            .into_data()
                            .try_into_vec_as::<f32>()
                            .expect("floats")
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }
}
