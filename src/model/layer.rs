//! The layer walk: a model is a list of named layers, visited once per forward pass.
//!
//! The layers in order, each with a name, are the architecture's list
//! ([`Architecture::plan`](crate::Architecture::plan)); the summary and the PyTorch
//! keys read it directly. What needs the layers' *outputs* — the forward pass and
//! feature-map extraction — walks the same list in
//! [`LeNet::forward_observed`](crate::LeNet::forward_observed), which hands every
//! layer's output to a [`Tap`]. A plain forward uses [`NoTap`], which the compiler
//! removes entirely.

use std::fmt;

use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// What a layer does, independently of its sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerKind {
    /// 2-D convolution.
    Conv2d,
    /// Rectified linear unit, `max(x, 0)`.
    Relu,
    /// 2-D max pooling.
    MaxPool2d,
    /// 2-D average pooling.
    AvgPool2d,
    /// `[N, C, H, W]` → `[N, C·H·W]`.
    Flatten,
    /// Fully connected layer.
    Linear,
}

impl LayerKind {
    /// Every kind.
    pub const ALL: [LayerKind; 6] = [
        LayerKind::Conv2d,
        LayerKind::Relu,
        LayerKind::MaxPool2d,
        LayerKind::AvgPool2d,
        LayerKind::Flatten,
        LayerKind::Linear,
    ];

    /// PyTorch's class name for the layer, as torchsummary prints it.
    pub fn type_name(self) -> &'static str {
        match self {
            LayerKind::Conv2d => "Conv2d",
            LayerKind::Relu => "ReLU",
            LayerKind::MaxPool2d => "MaxPool2d",
            LayerKind::AvgPool2d => "AvgPool2d",
            LayerKind::Flatten => "Flatten",
            LayerKind::Linear => "Linear",
        }
    }

    /// The stem of the layer's name (`conv` in `conv2`).
    fn stem(self) -> &'static str {
        match self {
            LayerKind::Conv2d => "conv",
            LayerKind::Relu => "relu",
            LayerKind::MaxPool2d => "pool",
            LayerKind::AvgPool2d => "avgpool",
            LayerKind::Flatten => "flatten",
            LayerKind::Linear => "fc",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

/// A layer's stable name: its kind and its rank among layers of that kind,
/// e.g. `conv1`, `relu3`, `pool2`, `flatten`, `fc1`. Names never depend on the
/// architecture's other layers, so `conv2` is the same layer in both models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerName {
    /// The kind of layer.
    pub kind: LayerKind,
    /// 1 for the first layer of this kind, 2 for the second, ...
    pub ordinal: usize,
}

impl fmt::Display for LayerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LayerKind::Flatten => f.write_str("flatten"),
            kind => write!(f, "{}{}", kind.stem(), self.ordinal),
        }
    }
}

/// A borrowed view of one layer: the module for layers with weights, the
/// sizes for the others.
#[derive(Debug, Clone, Copy)]
pub enum Layer<'a> {
    /// A convolution and its weights.
    Conv2d(&'a Conv2d),
    /// A ReLU (no parameters).
    Relu,
    /// A max pool over `kernel`×`kernel` windows, stride `kernel`.
    MaxPool2d {
        /// Window side and stride.
        kernel: usize,
    },
    /// An average pool over `kernel`×`kernel` windows, stride `kernel`.
    AvgPool2d {
        /// Window side and stride.
        kernel: usize,
    },
    /// The flatten step between the convolutions and the classifier.
    Flatten,
    /// A fully connected layer and its weights.
    Linear(&'a Linear),
}

impl Layer<'_> {
    /// What the layer does.
    pub fn kind(&self) -> LayerKind {
        match self {
            Layer::Conv2d(_) => LayerKind::Conv2d,
            Layer::Relu => LayerKind::Relu,
            Layer::MaxPool2d { .. } => LayerKind::MaxPool2d,
            Layer::AvgPool2d { .. } => LayerKind::AvgPool2d,
            Layer::Flatten => LayerKind::Flatten,
            Layer::Linear(_) => LayerKind::Linear,
        }
    }
}

/// One step of the walk: which layer produced the output handed to the [`Tap`].
#[derive(Debug, Clone, Copy)]
pub struct LayerStep<'a> {
    /// The layer's stable name.
    pub name: LayerName,
    /// Position in the walk, counting every layer from 0. It equals the index
    /// PyTorch's `nn.Sequential` gives the same layer (`net.<index>.weight`).
    pub index: usize,
    /// The layer itself.
    pub layer: Layer<'a>,
}

/// Sees every layer's output during [`LeNet::forward_observed`](crate::LeNet::forward_observed).
///
/// ```
/// use lenet::{Architecture, LeNetConfig, LayerStep, Tap};
/// use burn::tensor::Tensor;
///
/// /// Collects the name and output shape of each layer.
/// struct Shapes(Vec<(String, Vec<usize>)>);
///
/// impl Tap for Shapes {
///     fn observe<const D: usize>(&mut self, step: &LayerStep<'_>, output: &Tensor<D>) {
///         self.0.push((step.name.to_string(), output.dims().to_vec()));
///     }
/// }
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init(&device);
/// let mut shapes = Shapes(Vec::new());
/// model.forward_observed(Tensor::zeros([1, 1, 28, 28], &device), &mut shapes);
/// assert_eq!(shapes.0[0], ("conv1".to_string(), vec![1, 6, 28, 28]));
/// assert_eq!(shapes.0.last().unwrap().0, "fc3");
/// # Ok::<(), lenet::Error>(())
/// ```
pub trait Tap {
    /// Whether [`observe`](Self::observe) looks at anything. A tap that does not
    /// (like [`NoTap`]) lets the model run a stage of several layers as one fused
    /// operation, which has no intermediate outputs to show.
    const OBSERVES: bool = true;

    /// Called once per layer, in order, with that layer's output.
    fn observe<const D: usize>(&mut self, step: &LayerStep<'_>, output: &Tensor<D>);
}

/// A [`Tap`] that looks at nothing: what [`LeNet::forward`](crate::LeNet::forward) uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTap;

impl Tap for NoTap {
    const OBSERVES: bool = false;

    #[inline(always)]
    fn observe<const D: usize>(&mut self, _step: &LayerStep<'_>, _output: &Tensor<D>) {}
}

/// Numbers the layers as the model walks through them and reports each to the tap.
pub(crate) struct Walk<'t, T: Tap> {
    tap: &'t mut T,
    index: usize,
    counts: [usize; LayerKind::ALL.len()],
}

impl<'t, T: Tap> Walk<'t, T> {
    /// A walk that starts at layer `start` of `layers`: the ones before it are
    /// counted, so names and indices are the whole list's.
    pub(crate) fn starting_at(tap: &'t mut T, layers: &[super::LayerSpec], start: usize) -> Self {
        let mut counts = [0; LayerKind::ALL.len()];
        for spec in &layers[..start] {
            counts[spec.kind().slot()] += 1;
        }
        Self {
            tap,
            index: start,
            counts,
        }
    }

    /// Records that `layer` produced `output`, and passes `output` on.
    pub(crate) fn step<const D: usize>(
        &mut self,
        layer: Layer<'_>,
        output: Tensor<D>,
    ) -> Tensor<D> {
        let step = self.pass(layer);
        self.tap.observe(&step, &output);
        output
    }

    /// Counts `layer` as run without an output of its own to show (it ran fused
    /// with its neighbours), so the layers after it keep their names and indices.
    pub(crate) fn pass<'l>(&mut self, layer: Layer<'l>) -> LayerStep<'l> {
        let kind = layer.kind();
        self.counts[kind.slot()] += 1;
        let step = LayerStep {
            name: LayerName {
                kind,
                ordinal: self.counts[kind.slot()],
            },
            index: self.index,
            layer,
        };
        self.index += 1;
        step
    }
}
