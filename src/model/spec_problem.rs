//! Why a spec (or a list of layers) is not a network: one value per kind of
//! mistake, which `Error::InvalidSpec` carries with the token and its position.

use super::spec::LayerSpec;

/// What is wrong with one token of a spec, or with the network it describes
/// there. Its `Display` is the sentence a user reads.
///
/// ```
/// use lenet::model::SpecProblem;
/// use lenet::{Architecture, Error};
///
/// let error = "conv6k5-relu-poool-fc10".parse::<Architecture>().unwrap_err();
/// let Error::InvalidSpec { position, token, reason, .. } = error else { panic!() };
/// assert_eq!((position, token.as_str()), (3, "poool"));
/// assert_eq!(reason, SpecProblem::UnknownLayer);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecProblem {
    /// A token that names no layer.
    #[error(
        "unknown layer; the tokens are conv<C>k<K>[p<P>][s<S>], relu, pool[<K>] (or \
         maxpool[<K>]), avgpool[<K>], fc<N> (or linear<N>), and flatten just before the \
         first fc"
    )]
    UnknownLayer,
    /// Two dashes in a row.
    #[error("an empty token (two dashes in a row?)")]
    EmptyToken,
    /// `conv<C>` without `k<K>`.
    #[error("a convolution needs its kernel size: conv<C>k<K>, e.g. conv6k5")]
    MissingKernelSize,
    /// A size the token must have.
    #[error("the {what} is missing (a number)")]
    MissingNumber {
        /// `channels`, `kernel size`, `features`, …
        what: &'static str,
    },
    /// A number too large to be a size.
    #[error("the {what} {number} is too large")]
    NumberTooLarge {
        /// `channels`, `kernel size`, …
        what: &'static str,
        /// The digits written.
        number: String,
    },
    /// Characters after a complete layer.
    #[error("unexpected `{rest}` at its end")]
    Trailing {
        /// What was left.
        rest: String,
    },
    /// A size of zero.
    #[error("the {what} must be at least 1")]
    ZeroSize {
        /// `channels`, `kernel size`, `stride`, `window`, `features`.
        what: &'static str,
    },
    /// The spec is far too long to be read.
    #[error(
        "the spec is {bytes} bytes long; at most {} are read",
        super::MAX_SPEC_BYTES
    )]
    SpecTooLong {
        /// Its length.
        bytes: usize,
    },
    /// No layer at all.
    #[error("there are no layers")]
    NoLayers,
    /// The last layer does not give the classes.
    #[error("the last layer must be fc<classes> (fc10 for the digits)")]
    LastNotLinear,
    /// A second flatten.
    #[error("the features are already flat here")]
    AlreadyFlat,
    /// A flatten anywhere but just before the first fc.
    #[error("a flatten goes just before the first fc (where it is put by itself)")]
    FlattenMisplaced,
    /// A convolution or pool after the flatten.
    #[error(
        "a convolution or pool cannot come after the flatten before the first fc: its input \
         is a vector by then"
    )]
    SpatialAfterFlatten,
    /// A kernel larger than its (padded) input.
    #[error("its kernel {kernel}×{kernel} is larger than its input {input}×{input}{}",
        if *padding > 0 { format!(" padded by {padding}") } else { String::new() })]
    KernelTooLarge {
        /// The kernel's side.
        kernel: usize,
        /// The input's side.
        input: usize,
        /// Its padding.
        padding: usize,
    },
    /// A pooling window larger than its input.
    #[error("its window {window}×{window} is larger than its input {height}×{width}")]
    WindowTooLarge {
        /// The window's side.
        window: usize,
        /// The input's height.
        height: usize,
        /// The input's width.
        width: usize,
    },
    /// A layer given an input it cannot take.
    #[error("{layer} cannot take an input of shape {}", show(shape))]
    WrongInput {
        /// The layer.
        layer: LayerSpec,
        /// The shape it was given.
        shape: Vec<usize>,
    },
    /// More layers than [`MAX_LAYERS`](super::MAX_LAYERS).
    #[error(
        "the network has {layers} layers; at most {} are allowed",
        super::MAX_LAYERS
    )]
    TooManyLayers {
        /// How many it has.
        layers: usize,
    },
    /// A layer's output over [`MAX_LAYER_VALUES`](super::MAX_LAYER_VALUES) per image.
    #[error(
        "its output {} holds {values} values per image; at most {} are allowed",
        show(shape),
        super::MAX_LAYER_VALUES
    )]
    OutputTooLarge {
        /// The output's shape.
        shape: Vec<usize>,
        /// Its values.
        values: usize,
    },
    /// All outputs together over [`MAX_ACTIVATION_VALUES`](super::MAX_ACTIVATION_VALUES).
    #[error(
        "the layers' outputs reach {values} values per image here; at most {} are allowed",
        super::MAX_ACTIVATION_VALUES
    )]
    ActivationsTooLarge {
        /// The values so far.
        values: usize,
    },
    /// Parameters over [`MAX_PARAMS`](super::MAX_PARAMS).
    #[error(
        "the network reaches {params} parameters here; at most {} are allowed",
        super::MAX_PARAMS
    )]
    TooManyParams {
        /// The parameters so far.
        params: usize,
    },
    /// The last layer's outputs are not the data's classes.
    #[error(
        "the last layer gives {outputs} classes but the data has {classes} (end with fc{classes})"
    )]
    WrongClasses {
        /// The network's outputs.
        outputs: usize,
        /// The data's classes.
        classes: usize,
    },
}

/// `[6, 28, 28]` as `6×28×28`.
pub(crate) fn show(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
    parts.join("×")
}
