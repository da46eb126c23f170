//! The model: the weights for an [`Architecture`]'s layers, and the walk over
//! its list that is every forward pass.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
use burn::nn::{Linear, Relu};
use burn::tensor::{Device, Tensor};

use super::architecture::{Architecture, INPUT_CHANNELS, INPUT_SIZE};
use super::init;
use super::layer::{Layer, NoTap, Tap, Walk};
use super::spec::LayerSpec;
use crate::rng::Rng;

/// How to build a [`LeNet`]; saved next to every checkpoint so the weights always
/// say which network they belong to.
///
/// ```
/// use burn::module::Module; // num_params
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init(&device);
/// assert_eq!(model.num_params(), 61_706);
///
/// let mine = LeNetConfig::new("conv8k3p1-relu-pool-conv16k3-relu-pool-fc10".parse()?);
/// assert_eq!(mine.init(&device).num_params(), mine.architecture.num_params());
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Config, Debug)]
pub struct LeNetConfig {
    /// Which network: its layers, the last of which gives the number of classes.
    pub architecture: Architecture,
}

impl LeNetConfig {
    /// How many classes the network tells apart (its last layer's outputs).
    pub fn num_classes(&self) -> usize {
        self.architecture.num_classes()
    }

    /// Builds the model with PyTorch's default initialisation, on `device`, from
    /// Burn's random generator (call `device.seed(..)` first for repeatable weights
    /// in a single-threaded program; see [`init_seeded`](Self::init_seeded)).
    pub fn init(&self, device: &Device) -> LeNet {
        let mut convs = Vec::new();
        let mut linears = Vec::new();
        for layer in self.architecture.plan() {
            match layer.spec {
                LayerSpec::Conv2d {
                    channels,
                    kernel,
                    padding,
                    stride,
                } => convs.push(init::conv2d(
                    layer.input_shape[0],
                    channels,
                    kernel,
                    padding,
                    stride,
                    device,
                )),
                LayerSpec::Linear { features } => {
                    linears.push(init::linear(layer.input_shape[0], features, device))
                }
                _ => {}
            }
        }
        LeNet {
            convs,
            linears,
            architecture: self.architecture.clone(),
            fused: super::fused::fused_kernels_by_default(),
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
    /// let config = LeNetConfig::new(Architecture::LENET5);
    /// let a = config.init_seeded(&device, 7).convolutions().next().unwrap().weight.val();
    /// let b = config.init_seeded(&device, 7).convolutions().next().unwrap().weight.val();
    /// assert!(a.equal(b).all().into_scalar::<bool>());
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn init_seeded(&self, device: &Device, seed: u64) -> LeNet {
        let mut model = self.init(device);
        let mut rng = Rng::derive(seed, &[INIT_STREAM]);
        for conv in &mut model.convs {
            init::redraw_conv2d(conv, &mut rng, device);
        }
        for linear in &mut model.linears {
            init::redraw_linear(linear, &mut rng, device);
        }
        model
    }
}

/// Keeps the initialisation stream apart from shuffling and augmentation.
const INIT_STREAM: u64 = 0x1417;

/// Any LeNet-style network — LeNet5, its variants, any spec — as a Burn module.
///
/// Input `[N, 1, 28, 28]` (f32), output logits `[N, classes]`.
///
/// ```
/// use burn::module::Module; // num_params
/// use burn::tensor::Tensor;
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::EXTRA_CONV).init(&device);
/// let logits = model.forward(Tensor::zeros([2, 1, 28, 28], &device));
/// assert_eq!(logits.dims(), [2, 10]);
/// assert_eq!(model.num_params(), 30_378);
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Module, Debug)]
pub struct LeNet {
    /// One per `conv` layer of the architecture, in order.
    convs: Vec<Conv2d>,
    /// One per `fc` layer, in order.
    linears: Vec<Linear>,
    #[module(skip)]
    architecture: Architecture,
    /// Whether conv stages on Flex may run as one fused operation.
    #[module(skip)]
    fused: bool,
}

impl LeNet {
    /// Which network this is.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The same model, running its conv stages on Flex as this crate's fused
    /// operation (`true`, the default unless `LENET_FUSED=0`) or as Burn's own
    /// layers (`false`: to measure what the fused kernels gain, or to rule them
    /// out). Only this model is affected; the results agree to float precision.
    /// The setting is not saved with the weights: a loaded model takes the
    /// default ([`fused_kernels_by_default`](crate::model::fused_kernels_by_default)),
    /// and training takes `TrainConfig::fused_kernels`.
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let fused = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    /// let layers = fused.clone().with_fused_kernels(false);
    /// assert!(fused.fused_kernels() && !layers.fused_kernels());
    /// let x = Tensor::<4>::ones([2, 1, 28, 28], &device);
    /// let difference = (fused.forward(x.clone()) - layers.forward(x)).abs().max();
    /// assert!(difference.into_scalar::<f32>() < 1e-4);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn with_fused_kernels(mut self, on: bool) -> Self {
        self.fused = on;
        self
    }

    /// Whether this model's conv stages on Flex run fused (see
    /// [`with_fused_kernels`](Self::with_fused_kernels)).
    pub fn fused_kernels(&self) -> bool {
        self.fused
    }

    /// The logits for a batch of images `[N, 1, 28, 28]`.
    ///
    /// # Shapes
    /// - `images`: `[N, 1, 28, 28]`
    /// - output: `[N, classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_observed(images, &mut NoTap)
    }

    /// The forward pass, handing every layer's output to `tap` in order
    /// (see [`Tap`]). [`forward`](Self::forward), feature maps and the summary
    /// are all this one walk over [`Architecture::layers`].
    ///
    /// # Shapes
    /// - `images`: `[N, 1, 28, 28]`
    /// - output: `[N, classes]`
    pub fn forward_observed<T: Tap>(&self, images: Tensor<4>, tap: &mut T) -> Tensor<2> {
        self.forward_from(0, images, tap)
    }

    /// The rest of the walk from layer `start` (its index in
    /// [`Architecture::layers`]), given that layer's input: the layers before it
    /// are skipped, those from it on run and are handed to `tap` under their usual
    /// names. `forward_from(0, images, tap)` is
    /// [`forward_observed`](Self::forward_observed). This is how a gradient with
    /// respect to a hidden layer's output is taken (Grad-CAM, [`crate::explain`]):
    /// make that output a leaf that requires its gradient and run the rest.
    ///
    /// ```
    /// use burn::tensor::Tensor;
    /// use lenet::{Architecture, LeNetConfig, NoTap};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    /// let images = Tensor::<4>::ones([2, 1, 28, 28], &device);
    /// let maps = lenet::extract_feature_maps(&model, images.clone());
    /// let pool1 = maps.get("pool1").unwrap(); // layer 2's output, layer 3's input
    /// let pool1 = Tensor::<1>::from_floats(pool1.values.as_slice(), &device).reshape([2, 6, 14, 14]);
    /// let rest = model.forward_from(3, pool1, &mut NoTap);
    /// let whole = model.forward(images);
    /// assert!((rest - whole).abs().max().into_scalar::<f32>() < 1e-5);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    ///
    /// # Shapes
    /// - `maps`: `[N, C, H, W]`, the input shape of layer `start` (per image)
    /// - output: `[N, classes]`
    ///
    /// # Panics
    /// If `start` is past the flatten (the walk from there takes `[N, features]`).
    pub fn forward_from<T: Tap>(&self, start: usize, maps: Tensor<4>, tap: &mut T) -> Tensor<2> {
        let layers = self.architecture.layers();
        let flatten = self.architecture.flatten_index();
        assert!(
            start <= flatten,
            "forward_from({start}): the maps end at the flatten, layer {flatten}"
        );
        let mut walk = Walk::starting_at(tap, layers, start);
        let skipped = layers[..start]
            .iter()
            .filter(|spec| matches!(spec, LayerSpec::Conv2d { .. }))
            .count();
        let mut convs = self.convs.iter().skip(skipped);
        let mut x = maps;
        let mut i = start;
        while i < flatten {
            let spec = layers[i];
            i += 1;
            x = match spec {
                LayerSpec::Conv2d { .. } => {
                    let conv = convs.next().expect("one Conv2d per conv layer");
                    #[cfg(feature = "flex")]
                    if !T::OBSERVES
                        && self.fused
                        && let Some((fused, output)) = fused_stage(conv, &layers[i..flatten], &x)
                    {
                        walk.pass(Layer::Conv2d(conv));
                        for spec in &layers[i..i + fused] {
                            walk.pass(view(spec));
                        }
                        i += fused;
                        x = output;
                        continue;
                    }
                    walk.step(Layer::Conv2d(conv), conv.forward(x))
                }
                LayerSpec::Relu => walk.step(Layer::Relu, Relu::new().forward(x)),
                LayerSpec::MaxPool2d { kernel } => walk.step(
                    view(&spec),
                    MaxPool2dConfig::new([kernel, kernel]).init().forward(x),
                ),
                LayerSpec::AvgPool2d { kernel } => walk.step(
                    view(&spec),
                    AvgPool2dConfig::new([kernel, kernel]).init().forward(x),
                ),
                LayerSpec::Flatten | LayerSpec::Linear { .. } => {
                    unreachable!("checked: only maps before the flatten")
                }
            };
        }
        let mut x = walk.step(Layer::Flatten, x.flatten::<2>(1, 3));
        let mut linears = self.linears.iter();
        for spec in &layers[flatten + 1..] {
            x = match spec {
                LayerSpec::Linear { .. } => {
                    let linear = linears.next().expect("one Linear per fc layer");
                    walk.step(Layer::Linear(linear), linear.forward(x))
                }
                LayerSpec::Relu => walk.step(Layer::Relu, Relu::new().forward(x)),
                _ => unreachable!("checked: only fc and relu after the flatten"),
            };
        }
        x
    }

    /// The convolution layers, in order (`conv1`, `conv2`, ...): their weights
    /// `[out, in, k, k]` and biases are what the network learned to look for.
    pub fn convolutions(&self) -> impl Iterator<Item = &Conv2d> {
        self.convs.iter()
    }

    /// The fully connected layers, in order (`fc1`, `fc2`, ...).
    pub fn linears(&self) -> impl Iterator<Item = &Linear> {
        self.linears.iter()
    }

    pub(crate) fn convolutions_mut(&mut self) -> impl Iterator<Item = &mut Conv2d> {
        self.convs.iter_mut()
    }

    pub(crate) fn linears_mut(&mut self) -> impl Iterator<Item = &mut Linear> {
        self.linears.iter_mut()
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.linears[0].weight.lazy_device()
    }

    /// The input shape the model expects for a batch of `batch` images.
    pub fn input_shape(batch: usize) -> [usize; 4] {
        [batch, INPUT_CHANNELS, INPUT_SIZE, INPUT_SIZE]
    }
}

/// The borrowed view of a layer without weights.
fn view(spec: &LayerSpec) -> Layer<'static> {
    match *spec {
        LayerSpec::Relu => Layer::Relu,
        LayerSpec::MaxPool2d { kernel } => Layer::MaxPool2d { kernel },
        LayerSpec::AvgPool2d { kernel } => Layer::AvgPool2d { kernel },
        LayerSpec::Flatten => Layer::Flatten,
        LayerSpec::Conv2d { .. } | LayerSpec::Linear { .. } => {
            unreachable!("layers with weights are viewed with their module")
        }
    }
}

/// `conv` with the ReLU and 2×2 max-pool that follow it in `next` run as one
/// fused operation, when the fast path covers them: how many of `next` it ran,
/// and the output. A convolution not followed by a ReLU is not fused.
#[cfg(feature = "flex")]
fn fused_stage(conv: &Conv2d, next: &[LayerSpec], x: &Tensor<4>) -> Option<(usize, Tensor<4>)> {
    if next.first() != Some(&LayerSpec::Relu) {
        return None;
    }
    let pool = next.get(1) == Some(&LayerSpec::MaxPool2d { kernel: 2 });
    super::fused::conv_stage(conv, pool, x).map(|output| (1 + usize::from(pool), output))
}
