//! The model: convolution stages, flatten, classifier — walked once per forward pass.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::architecture::{Architecture, HIDDEN_WIDTHS, INPUT_SIZE};
use super::blocks::{Classifier, ConvStage};
use super::layer::{Layer, NoTap, Tap, Walk};
use crate::rng::Rng;

/// How to build a [`LeNet`]; saved next to every checkpoint so the weights always
/// say which network they belong to.
///
/// ```
/// use burn::module::Module; // num_params
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LeNet5).init(&device);
/// assert_eq!(model.num_params(), 61_706);
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Config, Debug)]
pub struct LeNetConfig {
    /// Which network.
    pub architecture: Architecture,
    /// Number of output classes (10 digits).
    #[config(default = 10)]
    pub num_classes: usize,
}

impl LeNetConfig {
    /// Builds the model with PyTorch's default initialisation, on `device`, from
    /// Burn's random generator (call `device.seed(..)` first for repeatable weights
    /// in a single-threaded program; see [`init_seeded`](Self::init_seeded)).
    pub fn init(&self, device: &Device) -> LeNet {
        let arch = self.architecture;
        let mut widths = vec![arch.flattened_len()];
        widths.extend(HIDDEN_WIDTHS);
        widths.push(self.num_classes);
        LeNet {
            stages: arch
                .conv_stages()
                .iter()
                .map(|spec| ConvStage::new(spec, device))
                .collect(),
            classifier: Classifier::new(&widths, device),
            architecture: arch,
        }
    }

    /// Builds the model with the same distribution as [`init`](Self::init), drawn
    /// from a generator owned by the crate: the same `seed` gives the same weights
    /// on every device, in every thread, in every version of Burn.
    ///
    /// ```
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let config = LeNetConfig::new(Architecture::LeNet5);
    /// let a = config.init_seeded(&device, 7).convolutions().next().unwrap().weight.val();
    /// let b = config.init_seeded(&device, 7).convolutions().next().unwrap().weight.val();
    /// assert!(a.equal(b).all().into_scalar::<bool>());
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn init_seeded(&self, device: &Device, seed: u64) -> LeNet {
        let mut model = self.init(device);
        let mut rng = Rng::derive(seed, &[INIT_STREAM]);
        for stage in &mut model.stages {
            stage.redraw(&mut rng, device);
        }
        model.classifier.redraw(&mut rng, device);
        model
    }
}

/// Keeps the initialisation stream apart from shuffling and augmentation.
const INIT_STREAM: u64 = 0x1417;

/// LeNet5 or its extra-conv variant, as a Burn module.
///
/// Input `[N, 1, 28, 28]` (f32), output logits `[N, num_classes]`.
///
/// ```
/// use burn::module::Module; // num_params
/// use burn::tensor::Tensor;
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::ExtraConv).init(&device);
/// let logits = model.forward(Tensor::zeros([2, 1, 28, 28], &device));
/// assert_eq!(logits.dims(), [2, 10]);
/// assert_eq!(model.num_params(), 30_378);
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Module, Debug)]
pub struct LeNet {
    stages: Vec<ConvStage>,
    classifier: Classifier,
    #[module(skip)]
    architecture: Architecture,
}

impl LeNet {
    /// Which network this is.
    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// The logits for a batch of images `[N, 1, 28, 28]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_observed(images, &mut NoTap)
    }

    /// The forward pass, handing every layer's output to `tap` in order
    /// (see [`Tap`]). [`forward`](Self::forward), feature maps and the summary
    /// are all this one walk.
    pub fn forward_observed<T: Tap>(&self, images: Tensor<4>, tap: &mut T) -> Tensor<2> {
        let mut walk = Walk::new(tap);
        let mut x = images;
        for stage in &self.stages {
            x = stage.forward_observed(x, &mut walk);
        }
        let x = walk.step(Layer::Flatten, x.flatten::<2>(1, 3));
        self.classifier.forward_observed(x, &mut walk)
    }

    /// The convolution layers, in order (`conv1`, `conv2`, ...): their weights
    /// `[out, in, k, k]` and biases are what the network learned to look for.
    pub fn convolutions(&self) -> impl Iterator<Item = &burn::nn::conv::Conv2d> {
        self.stages.iter().map(|stage| &stage.conv)
    }

    /// The fully connected layers, in order (`fc1`, `fc2`, ...).
    pub fn linears(&self) -> impl Iterator<Item = &burn::nn::Linear> {
        self.classifier.layers.iter()
    }

    pub(crate) fn convolutions_mut(&mut self) -> impl Iterator<Item = &mut burn::nn::conv::Conv2d> {
        self.stages.iter_mut().map(|stage| &mut stage.conv)
    }

    pub(crate) fn linears_mut(&mut self) -> impl Iterator<Item = &mut burn::nn::Linear> {
        self.classifier.layers.iter_mut()
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.stages[0].conv.weight.lazy_device()
    }

    /// The input shape the model expects for a batch of `batch` images.
    pub fn input_shape(batch: usize) -> [usize; 4] {
        [batch, 1, INPUT_SIZE, INPUT_SIZE]
    }
}
