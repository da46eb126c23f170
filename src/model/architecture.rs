//! Architectures as values: a validated list of [`LayerSpec`]s, from code or from
//! a one-line spec. LeNet5, its extra-conv variant and its one-conv variant are
//! three such lists with names.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::layer::{LayerKind, LayerName};
use super::receptive_field::ReceptiveField;
use super::spec::LayerSpec;
use super::spec_problem::SpecProblem;
use crate::{Error, Result};

/// Side length of the square input images.
pub const INPUT_SIZE: usize = 28;

/// Channels of the input images (grey).
pub const INPUT_CHANNELS: usize = 1;

/// The most parameters an architecture may have: far beyond any LeNet, and small
/// enough that a typo (`fc120000`) is an error, not an allocation that fails.
pub const MAX_PARAMS: usize = 50_000_000;

/// The most values one layer's output may hold, per image.
pub const MAX_LAYER_VALUES: usize = 4_000_000;

/// The most values all layers' outputs may hold together, per image (64 MB of
/// `f32`): what a walk that keeps every layer's output (feature maps, the
/// explorer) holds for one image.
pub const MAX_ACTIVATION_VALUES: usize = 16_000_000;

/// The most layers a network may have (the flatten included): far beyond any
/// LeNet, and a bound on what a spec read from a file can make every request do.
pub const MAX_LAYERS: usize = 100;

/// The longest spec read: [`MAX_LAYERS`] long tokens.
pub const MAX_SPEC_BYTES: usize = 4096;

/// Bytes one image takes per value of its layers' outputs in a walk that
/// records gradients: the output, kept for the backward pass, its gradient,
/// and a working copy.
const BYTES_PER_ACTIVATION: usize = 3 * std::mem::size_of::<f32>();

/// Which network to build: a list of layers, checked once when it is made.
///
/// Written as a one-line spec that mirrors PyTorch's `nn.Sequential` layer by
/// layer, tokens joined by `-` (see [`LayerSpec`]); a `Flatten` goes before the
/// first `fc` by itself. The input is 1×28×28; the last layer is `fc<classes>`.
/// `lenet5`, `extra-conv` and `one-conv` are names for three specs.
///
/// ```
/// use lenet::Architecture;
///
/// let lenet5: Architecture = "lenet5".parse()?;
/// assert_eq!(lenet5, Architecture::LENET5);
/// assert_eq!(lenet5.spec(), "conv6k5p2-relu-pool-conv16k5-relu-pool-fc120-relu-fc84-relu-fc10");
/// // The same list written out is the same architecture, with its name.
/// assert_eq!(lenet5.spec().parse::<Architecture>()?.name(), "lenet5");
///
/// let mine: Architecture = "conv8k3p1-relu-pool-fc10".parse()?;
/// assert_eq!(mine.name(), "conv8k3p1-relu-pool-fc10");
/// assert_eq!(mine.num_params(), 8 * 9 + 8 + 8 * 14 * 14 * 10 + 10);
/// assert_eq!(mine.num_classes(), 10);
///
/// let error = "conv8k3-relu-pool-conv8k30-fc10".parse::<Architecture>().unwrap_err();
/// assert!(error.to_string().contains("token 4 `conv8k30`"), "{error}");
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Architecture {
    /// `lenet5` and the like, or the spec itself.
    name: Cow<'static, str>,
    layers: Cow<'static, [LayerSpec]>,
}

const fn conv(channels: usize, padding: usize) -> LayerSpec {
    LayerSpec::Conv2d {
        channels,
        kernel: 5,
        padding,
        stride: 1,
    }
}
const RELU: LayerSpec = LayerSpec::Relu;
const POOL: LayerSpec = LayerSpec::MaxPool2d { kernel: 2 };
const FLATTEN: LayerSpec = LayerSpec::Flatten;
const fn fc(features: usize) -> LayerSpec {
    LayerSpec::Linear { features }
}

const LENET5_LAYERS: [LayerSpec; 12] = [
    conv(6, 2),
    RELU,
    POOL,
    conv(16, 0),
    RELU,
    POOL,
    FLATTEN,
    fc(120),
    RELU,
    fc(84),
    RELU,
    fc(10),
];
const EXTRA_CONV_LAYERS: [LayerSpec; 14] = [
    conv(6, 2),
    RELU,
    POOL,
    conv(16, 0),
    RELU,
    POOL,
    conv(32, 0),
    RELU,
    FLATTEN,
    fc(120),
    RELU,
    fc(84),
    RELU,
    fc(10),
];
const ONE_CONV_LAYERS: [LayerSpec; 9] = [
    conv(6, 2),
    RELU,
    POOL,
    FLATTEN,
    fc(120),
    RELU,
    fc(84),
    RELU,
    fc(10),
];

/// The shape of one layer's output for one image: maps `[C, H, W]` before the
/// flatten, features `[F]` after it.
pub type Shape = Vec<usize>;

/// One layer of an [`Architecture`] with everything that follows from the list
/// alone: name, PyTorch index, shapes, parameters and multiply-adds per image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLayer {
    /// Stable name (`conv1`, `relu2`, `flatten`, `fc3`).
    pub name: LayerName,
    /// Position in the list: the index in PyTorch's `nn.Sequential` (`net.<index>`).
    pub index: usize,
    /// The layer.
    pub spec: LayerSpec,
    /// Shape of its input, per image.
    pub input_shape: Shape,
    /// Shape of its output, per image.
    pub output_shape: Shape,
    /// Learned values (weights and biases).
    pub params: usize,
    /// Multiply-adds for one image, counted as torchinfo does: convolutions and
    /// linear layers only, one per use of a weight or a bias.
    pub mult_adds: u64,
    /// The input pixels one value of the output sees; `None` from the flatten
    /// on (every value sees the whole input).
    pub receptive_field: Option<ReceptiveField>,
}

impl PlannedLayer {
    /// The weight's shape as PyTorch stores it (`[out, in, k, k]` or `[out, in]`),
    /// for layers that have one.
    pub fn weight_shape(&self) -> Option<Vec<usize>> {
        match self.spec {
            LayerSpec::Conv2d {
                channels, kernel, ..
            } => Some(vec![channels, self.input_shape[0], kernel, kernel]),
            LayerSpec::Linear { features } => Some(vec![features, self.input_shape[0]]),
            _ => None,
        }
    }

    /// A short description of the layer's sizes, e.g. `1→6, 5×5, pad 2`.
    pub fn details(&self) -> String {
        match self.spec {
            LayerSpec::Conv2d {
                channels,
                kernel,
                padding,
                stride,
            } => {
                let mut text = format!("{}→{channels}, {kernel}×{kernel}", self.input_shape[0]);
                if stride != 1 {
                    text.push_str(&format!(", stride {stride}"));
                }
                if padding > 0 {
                    text.push_str(&format!(", pad {padding}"));
                }
                text
            }
            LayerSpec::MaxPool2d { kernel } | LayerSpec::AvgPool2d { kernel } => {
                format!("{kernel}×{kernel}, stride {kernel}")
            }
            LayerSpec::Linear { features } => format!("{}→{features}", self.input_shape[0]),
            LayerSpec::Relu | LayerSpec::Flatten => String::new(),
        }
    }
}

impl Architecture {
    /// LeNet5 as the tutorial builds it: Conv(1→6, 5×5, pad 2) ReLU MaxPool ·
    /// Conv(6→16, 5×5) ReLU MaxPool · Linear 400→120→84→10. 61,706 parameters.
    pub const LENET5: Architecture = Architecture::named(Self::NAMES[0], &LENET5_LAYERS);
    /// LeNet5 plus Conv(16→32, 5×5) ReLU after the second pool, which shrinks the
    /// feature map to 1×1: Linear 32→120→84→10. 30,378 parameters.
    pub const EXTRA_CONV: Architecture = Architecture::named(Self::NAMES[1], &EXTRA_CONV_LAYERS);
    /// LeNet5 with its second convolution removed — the tutorial's "one layer
    /// fewer": Conv(1→6, 5×5, pad 2) ReLU MaxPool · Linear 1176→120→84→10.
    /// 152,410 parameters, almost all in the first linear layer.
    pub const ONE_CONV: Architecture = Architecture::named(Self::NAMES[2], &ONE_CONV_LAYERS);

    /// The names of [`NAMED`](Self::NAMED), in its order.
    pub const NAMES: [&'static str; 3] = ["lenet5", "extra-conv", "one-conv"];

    /// The architectures with names, in the order help texts list them.
    pub const NAMED: [Architecture; 3] = [
        Architecture::LENET5,
        Architecture::EXTRA_CONV,
        Architecture::ONE_CONV,
    ];

    const fn named(name: &'static str, layers: &'static [LayerSpec]) -> Self {
        Self {
            name: Cow::Borrowed(name),
            layers: Cow::Borrowed(layers),
        }
    }

    /// An architecture from layers built in code, checked as a spec is. A
    /// [`LayerSpec::Flatten`] is put before the first linear layer when missing;
    /// a list equal to a named one gets its name.
    ///
    /// ```
    /// use lenet::{Architecture, LayerSpec};
    ///
    /// let layers = vec![
    ///     LayerSpec::Conv2d { channels: 4, kernel: 3, padding: 1, stride: 1 },
    ///     LayerSpec::Relu,
    ///     LayerSpec::MaxPool2d { kernel: 2 },
    ///     LayerSpec::Linear { features: 10 },
    /// ];
    /// let arch = Architecture::new(layers)?;
    /// assert_eq!(arch.spec(), "conv4k3p1-relu-pool-fc10");
    /// assert_eq!(arch.layers().len(), 5); // with the flatten
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn new(layers: Vec<LayerSpec>) -> Result<Self> {
        let spec = layers
            .iter()
            .filter(|l| **l != LayerSpec::Flatten)
            .map(LayerSpec::to_string)
            .collect::<Vec<_>>()
            .join("-");
        // Positions count the layers the spec shows: a flatten takes the next one's.
        let mut position = 0;
        let written = layers
            .into_iter()
            .map(|layer| {
                if layer != LayerSpec::Flatten {
                    position += 1;
                }
                (
                    (position + usize::from(layer == LayerSpec::Flatten)).max(1),
                    layer,
                )
            })
            .collect();
        Self::checked(&spec, written)
    }

    /// `layers`, each with its 1-based position among the tokens the user wrote
    /// (for messages), flattened, checked and named.
    fn checked(spec: &str, written: Vec<(usize, LayerSpec)>) -> Result<Self> {
        let invalid = |position: usize, token: String, reason: SpecProblem| Error::InvalidSpec {
            spec: spec.to_string(),
            position,
            token,
            reason,
        };
        let Some(&(last_position, last)) = written.last() else {
            return Err(invalid(1, String::new(), SpecProblem::NoLayers));
        };
        if !matches!(last, LayerSpec::Linear { .. }) {
            return Err(invalid(
                last_position,
                last.to_string(),
                SpecProblem::LastNotLinear,
            ));
        }
        let mut layers = Vec::with_capacity(written.len() + 1);
        let mut flat = false;
        for (i, &(position, layer)) in written.iter().enumerate() {
            match layer {
                LayerSpec::Flatten if flat => {
                    return Err(invalid(
                        position,
                        layer.to_string(),
                        SpecProblem::AlreadyFlat,
                    ));
                }
                // Anywhere else the spec, which leaves it out, would not say where it was.
                LayerSpec::Flatten
                    if !matches!(written.get(i + 1), Some((_, LayerSpec::Linear { .. }))) =>
                {
                    return Err(invalid(
                        position,
                        layer.to_string(),
                        SpecProblem::FlattenMisplaced,
                    ));
                }
                LayerSpec::Flatten => flat = true,
                LayerSpec::Linear { .. } if !flat => {
                    layers.push((position, LayerSpec::Flatten));
                    flat = true;
                }
                spatial if spatial.is_spatial() && flat => {
                    return Err(invalid(
                        position,
                        layer.to_string(),
                        SpecProblem::SpatialAfterFlatten,
                    ));
                }
                _ => {}
            }
            layers.push((position, layer));
        }
        if layers.len() > MAX_LAYERS {
            let (position, layer) = layers[MAX_LAYERS];
            return Err(invalid(
                position,
                layer.to_string(),
                SpecProblem::TooManyLayers {
                    layers: layers.len(),
                },
            ));
        }
        let mut shape = vec![INPUT_CHANNELS, INPUT_SIZE, INPUT_SIZE];
        let mut params = 0usize;
        let mut activations = 0usize;
        for &(position, layer) in &layers {
            let step = next_shape(&layer, &shape)
                .and_then(|(out, p)| {
                    let values = values(&out);
                    if values > MAX_LAYER_VALUES {
                        return Err(SpecProblem::OutputTooLarge { shape: out, values });
                    }
                    activations = activations.saturating_add(values);
                    if activations > MAX_ACTIVATION_VALUES {
                        return Err(SpecProblem::ActivationsTooLarge {
                            values: activations,
                        });
                    }
                    params = params.saturating_add(p);
                    if params > MAX_PARAMS {
                        return Err(SpecProblem::TooManyParams { params });
                    }
                    Ok(out)
                })
                .map_err(|reason| invalid(position, layer.to_string(), reason))?;
            shape = step;
        }
        let layers: Vec<LayerSpec> = layers.into_iter().map(|(_, l)| l).collect();
        let named = Self::NAMED.into_iter().find(|n| *n.layers == *layers);
        Ok(named.unwrap_or_else(|| {
            let mut arch = Self {
                name: Cow::Owned(String::new()),
                layers: Cow::Owned(layers),
            };
            arch.name = Cow::Owned(arch.spec());
            arch
        }))
    }

    /// The name used on command lines, in files and in tables: `lenet5`,
    /// `extra-conv`, `one-conv`, or the spec of any other list.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A title for tables and pictures (the name of an unnamed spec).
    pub fn title(&self) -> &str {
        match &*self.name {
            "lenet5" => "LeNet5",
            "extra-conv" => "LeNet5 + extra conv",
            "one-conv" => "LeNet5 − one conv",
            spec => spec,
        }
    }

    /// The one-line spec, tokens joined by `-` (the flatten left out).
    pub fn spec(&self) -> String {
        self.layers
            .iter()
            .filter(|l| **l != LayerSpec::Flatten)
            .map(LayerSpec::to_string)
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Every layer in order, the flatten included: index `i` is PyTorch's `net.<i>`.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// Position of the flatten in [`layers`](Self::layers).
    pub(crate) fn flatten_index(&self) -> usize {
        self.layers
            .iter()
            .position(|l| *l == LayerSpec::Flatten)
            .expect("checked: a flatten precedes the first fc")
    }

    /// Every layer with its name, index, shapes, parameters and multiply-adds per
    /// image — all from the list, nothing run.
    ///
    /// ```
    /// use lenet::Architecture;
    ///
    /// let plan = Architecture::LENET5.plan();
    /// assert_eq!(plan[3].name.to_string(), "conv2");
    /// assert_eq!(plan[3].output_shape, vec![16, 10, 10]);
    /// assert_eq!(plan[7].name.to_string(), "fc1"); // PyTorch's net.7
    /// assert_eq!(plan[7].weight_shape(), Some(vec![120, 400]));
    /// ```
    pub fn plan(&self) -> Vec<PlannedLayer> {
        let mut counts = [0usize; LayerKind::ALL.len()];
        let mut shape = vec![INPUT_CHANNELS, INPUT_SIZE, INPUT_SIZE];
        let mut field = Some(ReceptiveField::INPUT);
        self.layers
            .iter()
            .enumerate()
            .map(|(index, &spec)| {
                let (output_shape, params) =
                    next_shape(&spec, &shape).expect("checked when the architecture was made");
                let kind = spec.kind();
                counts[kind as usize] += 1;
                let outputs: u64 = output_shape.iter().map(|&d| d as u64).product();
                // torchinfo's count: every weight and bias once per output value.
                let mult_adds = match spec {
                    LayerSpec::Conv2d { kernel, .. } => {
                        outputs * (shape[0] * kernel * kernel + 1) as u64
                    }
                    LayerSpec::Linear { .. } => outputs * (shape[0] + 1) as u64,
                    _ => 0,
                };
                field = field.and_then(|f| f.after(&spec));
                let layer = PlannedLayer {
                    name: LayerName {
                        kind,
                        ordinal: counts[kind as usize],
                    },
                    index,
                    spec,
                    input_shape: std::mem::take(&mut shape),
                    output_shape,
                    params,
                    mult_adds,
                    receptive_field: field,
                };
                shape = layer.output_shape.clone();
                layer
            })
            .collect()
    }

    /// Learned values in the whole network.
    pub fn num_params(&self) -> usize {
        self.plan().iter().map(|l| l.params).sum()
    }

    /// Multiply-adds of one forward pass for one image.
    pub fn mult_adds(&self) -> u64 {
        self.plan().iter().map(|l| l.mult_adds).sum()
    }

    /// Values in every layer's output together, for one image (at most
    /// [`MAX_ACTIVATION_VALUES`]).
    ///
    /// ```
    /// use lenet::Architecture;
    ///
    /// let lenet5 = Architecture::LENET5;
    /// assert_eq!(lenet5.activation_values(), 15_002);
    /// ```
    pub fn activation_values(&self) -> usize {
        self.plan().iter().map(|l| values(&l.output_shape)).sum()
    }

    /// The most images a batch may hold for its layers' outputs, their
    /// gradients and a working copy to fit in `bytes` (at least 1): how the
    /// explanations and the explorer size their batches, so that a wide network
    /// from a file takes smaller batches, not more memory.
    ///
    /// ```
    /// use lenet::Architecture;
    ///
    /// let wide: Architecture = "conv1000k1-relu-pool-fc10".parse()?;
    /// let budget = 64 << 20;
    /// assert!(Architecture::LENET5.batch_within(budget) > 300);
    /// assert_eq!(wide.batch_within(budget), 2);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn batch_within(&self, bytes: usize) -> usize {
        let per_image = (self.activation_values() + INPUT_SIZE * INPUT_SIZE)
            .saturating_mul(BYTES_PER_ACTIVATION);
        (bytes / per_image.max(1)).max(1)
    }

    /// Outputs of the last layer: how many classes the network tells apart.
    pub fn num_classes(&self) -> usize {
        match self.layers.last() {
            Some(LayerSpec::Linear { features }) => *features,
            _ => unreachable!("checked: the last layer is linear"),
        }
    }

    /// The same network with `classes` outputs in its last layer (e.g. 26 for
    /// letters); unchanged when it has them already. (The crate's own training,
    /// evaluation and prediction are for MNIST's ten digits and refuse another
    /// count with a clear error.)
    ///
    /// ```
    /// use lenet::Architecture;
    ///
    /// let letters = Architecture::LENET5.with_classes(26)?;
    /// assert_eq!(letters.num_classes(), 26);
    /// assert!(letters.spec().ends_with("fc84-relu-fc26"));
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn with_classes(&self, classes: usize) -> Result<Self> {
        if classes == self.num_classes() {
            return Ok(self.clone());
        }
        let mut layers = self.layers.to_vec();
        *layers.last_mut().expect("checked: not empty") = LayerSpec::Linear { features: classes };
        Self::new(layers)
    }

    /// An error unless the last layer has `classes` outputs (the data's classes).
    pub fn expect_classes(&self, classes: usize) -> Result<()> {
        if self.num_classes() == classes {
            return Ok(());
        }
        let tokens = self.layers.iter().filter(|l| **l != LayerSpec::Flatten);
        Err(Error::InvalidSpec {
            spec: self.spec(),
            position: tokens.count(),
            token: self.layers.last().expect("not empty").to_string(),
            reason: SpecProblem::WrongClasses {
                outputs: self.num_classes(),
                classes,
            },
        })
    }
}

/// `spec`'s output shape and parameter count for an input of `shape`, or why
/// it cannot take that input.
fn next_shape(
    spec: &LayerSpec,
    shape: &[usize],
) -> std::result::Result<(Shape, usize), SpecProblem> {
    if let Some(what) = zero_size(spec) {
        return Err(SpecProblem::ZeroSize { what });
    }
    // Saturating arithmetic: an absurd size becomes a huge one, which the
    // limits on values and parameters then refuse, instead of wrapping around.
    match (*spec, shape) {
        (
            LayerSpec::Conv2d {
                channels,
                kernel,
                padding,
                stride,
            },
            &[c, h, _],
        ) => {
            let padded = h.saturating_add(padding.saturating_mul(2));
            if kernel > padded {
                return Err(SpecProblem::KernelTooLarge {
                    kernel,
                    input: h,
                    padding,
                });
            }
            let side = (padded - kernel) / stride + 1;
            let params = channels
                .saturating_mul(c.saturating_mul(kernel.saturating_mul(kernel)))
                .saturating_add(channels);
            Ok((vec![channels, side, side], params))
        }
        (LayerSpec::MaxPool2d { kernel } | LayerSpec::AvgPool2d { kernel }, &[c, h, w]) => {
            if kernel > h {
                return Err(SpecProblem::WindowTooLarge {
                    window: kernel,
                    height: h,
                    width: w,
                });
            }
            Ok((vec![c, h / kernel, w / kernel], 0))
        }
        (LayerSpec::Relu, shape) => Ok((shape.to_vec(), 0)),
        (LayerSpec::Flatten, shape) => Ok((vec![values(shape)], 0)),
        (LayerSpec::Linear { features }, &[inputs]) => Ok((
            vec![features],
            features.saturating_mul(inputs).saturating_add(features),
        )),
        (layer, shape) => Err(SpecProblem::WrongInput {
            layer,
            shape: shape.to_vec(),
        }),
    }
}

/// The size of `spec` that is zero, if one is: no layer is made of nothing.
fn zero_size(spec: &LayerSpec) -> Option<&'static str> {
    match *spec {
        LayerSpec::Conv2d {
            channels,
            kernel,
            stride,
            ..
        } => [
            ("channels", channels),
            ("kernel size", kernel),
            ("stride", stride),
        ]
        .into_iter()
        .find(|&(_, n)| n == 0)
        .map(|(what, _)| what),
        LayerSpec::MaxPool2d { kernel } | LayerSpec::AvgPool2d { kernel } => {
            (kernel == 0).then_some("window")
        }
        LayerSpec::Linear { features } => (features == 0).then_some("features"),
        LayerSpec::Relu | LayerSpec::Flatten => None,
    }
}

/// Values in a map of `shape`, saturating.
fn values(shape: &[usize]) -> usize {
    shape.iter().fold(1usize, |n, &d| n.saturating_mul(d))
}

impl PartialEq for Architecture {
    fn eq(&self, other: &Self) -> bool {
        self.layers == other.layers
    }
}

impl Eq for Architecture {}

impl Hash for Architecture {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.layers.hash(state);
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Architecture {
    type Err = Error;

    /// A name (case-insensitive, with a few spellings people use: `LeNet5`,
    /// `lenet`, `extra_conv`, `self_lenet` as the tutorial's file calls it) or a
    /// spec such as `conv8k3p1-relu-pool-fc10`.
    fn from_str(text: &str) -> Result<Self> {
        let key: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match key.as_str() {
            "lenet5" | "lenet" => return Ok(Architecture::LENET5),
            "extraconv" | "lenet5extraconv" | "selflenet" => return Ok(Architecture::EXTRA_CONV),
            "oneconv" | "lenet5oneconv" | "fewerconv" => return Ok(Architecture::ONE_CONV),
            _ => {}
        }
        let spec = text.trim();
        if spec.len() > MAX_SPEC_BYTES {
            let shown: String = spec.chars().take(40).collect();
            return Err(Error::InvalidSpec {
                spec: format!("{shown}…"),
                position: 1,
                token: spec
                    .split('-')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(40)
                    .collect(),
                reason: SpecProblem::SpecTooLong { bytes: spec.len() },
            });
        }
        let mut written = Vec::new();
        for (i, token) in spec.split('-').enumerate() {
            let position = i + 1;
            match token.parse::<LayerSpec>() {
                Ok(layer) => written.push((position, layer)),
                // One word that is no layer is most likely a misspelt name.
                Err(SpecProblem::UnknownLayer) if !spec.contains('-') => {
                    return Err(Error::UnknownArchitecture {
                        name: text.to_string(),
                        available: Self::NAMES.join(", "),
                    });
                }
                Err(reason) => {
                    return Err(Error::InvalidSpec {
                        spec: spec.to_string(),
                        position,
                        token: token.to_string(),
                        reason: if token.is_empty() {
                            SpecProblem::EmptyToken
                        } else {
                            reason
                        },
                    });
                }
            }
        }
        Self::checked(spec, written)
    }
}

impl Serialize for Architecture {
    /// As its name: `"lenet5"`, or the spec of an unnamed list.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Architecture {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
