//! One layer of an architecture as a value, and its token in a one-line spec
//! (`conv6k5p2`, `relu`, `pool`, `fc120`, ...).
//!
//! The tokens mirror PyTorch's `nn.Sequential` one module each, so the position of
//! a layer in the list is its index there (`net.<index>`).

use std::fmt;

use super::spec_problem::SpecProblem;

/// One layer: what it does and its sizes. Input and output sizes follow from the
/// layers before it (see [`Architecture::plan`](crate::Architecture::plan)).
///
/// ```
/// use lenet::LayerSpec;
///
/// let conv: LayerSpec = "conv6k5p2".parse()?;
/// assert_eq!(conv, LayerSpec::Conv2d { channels: 6, kernel: 5, padding: 2, stride: 1 });
/// assert_eq!(conv.to_string(), "conv6k5p2");
/// assert_eq!("pool".parse::<LayerSpec>()?, LayerSpec::MaxPool2d { kernel: 2 });
/// # Ok::<(), lenet::model::SpecProblem>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerSpec {
    /// `conv<C>k<K>[p<P>][s<S>]`: `Conv2d(previous channels → C, K×K, padding P, stride S)`.
    Conv2d {
        /// Output channels (C).
        channels: usize,
        /// Square kernel side (K).
        kernel: usize,
        /// Zero padding on every side (P, default 0).
        padding: usize,
        /// Stride (S, default 1).
        stride: usize,
    },
    /// `relu`: `max(x, 0)`.
    Relu,
    /// `pool` or `pool<K>`: `MaxPool2d(K, K)` (K = 2 by default), rounding down.
    MaxPool2d {
        /// Window side and stride.
        kernel: usize,
    },
    /// `avgpool` or `avgpool<K>`: `AvgPool2d(K, K)` (K = 2 by default), rounding down.
    AvgPool2d {
        /// Window side and stride.
        kernel: usize,
    },
    /// `[N, C, H, W]` → `[N, C·H·W]`. Placed before the first `fc` by itself; a
    /// `flatten` token is accepted only there.
    Flatten,
    /// `fc<N>`: `Linear(previous features → N)`.
    Linear {
        /// Output features (N).
        features: usize,
    },
}

impl LayerSpec {
    /// The layer's kind, independently of its sizes.
    pub fn kind(&self) -> super::LayerKind {
        use super::LayerKind;
        match self {
            LayerSpec::Conv2d { .. } => LayerKind::Conv2d,
            LayerSpec::Relu => LayerKind::Relu,
            LayerSpec::MaxPool2d { .. } => LayerKind::MaxPool2d,
            LayerSpec::AvgPool2d { .. } => LayerKind::AvgPool2d,
            LayerSpec::Flatten => LayerKind::Flatten,
            LayerSpec::Linear { .. } => LayerKind::Linear,
        }
    }

    /// Whether the layer works on `[N, C, H, W]` maps (before the flatten).
    pub(crate) fn is_spatial(&self) -> bool {
        matches!(
            self,
            LayerSpec::Conv2d { .. } | LayerSpec::MaxPool2d { .. } | LayerSpec::AvgPool2d { .. }
        )
    }
}

impl fmt::Display for LayerSpec {
    /// The layer's token, in its shortest spelling (defaults left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayerSpec::Conv2d {
                channels,
                kernel,
                padding,
                stride,
            } => {
                write!(f, "conv{channels}k{kernel}")?;
                if padding > 0 {
                    write!(f, "p{padding}")?;
                }
                if stride != 1 {
                    write!(f, "s{stride}")?;
                }
                Ok(())
            }
            LayerSpec::Relu => f.write_str("relu"),
            LayerSpec::MaxPool2d { kernel: 2 } => f.write_str("pool"),
            LayerSpec::MaxPool2d { kernel } => write!(f, "pool{kernel}"),
            LayerSpec::AvgPool2d { kernel: 2 } => f.write_str("avgpool"),
            LayerSpec::AvgPool2d { kernel } => write!(f, "avgpool{kernel}"),
            LayerSpec::Flatten => f.write_str("flatten"),
            LayerSpec::Linear { features } => write!(f, "fc{features}"),
        }
    }
}

impl std::str::FromStr for LayerSpec {
    /// Why the token is not a layer.
    type Err = SpecProblem;

    /// Parses one token (case-insensitive). Sizes (zero ones too) are checked
    /// only with the whole list (see [`Architecture`](crate::Architecture)).
    fn from_str(token: &str) -> Result<Self, SpecProblem> {
        let token = token.trim().to_ascii_lowercase();
        let mut rest = Numbers(token.as_str());
        let spec = if rest.keyword("conv") {
            let channels = rest.number("channels")?;
            if !rest.keyword("k") {
                return Err(SpecProblem::MissingKernelSize);
            }
            let kernel = rest.number("kernel size")?;
            let mut padding = 0;
            let mut stride = 1;
            loop {
                if rest.keyword("p") {
                    padding = rest.number("padding")?;
                } else if rest.keyword("s") {
                    stride = rest.number("stride")?;
                } else {
                    break;
                }
            }
            LayerSpec::Conv2d {
                channels,
                kernel,
                padding,
                stride,
            }
        } else if rest.keyword("relu") {
            LayerSpec::Relu
        } else if rest.keyword("avgpool") {
            LayerSpec::AvgPool2d {
                kernel: rest.optional_number("window")?.unwrap_or(2),
            }
        } else if rest.keyword("maxpool") || rest.keyword("pool") {
            LayerSpec::MaxPool2d {
                kernel: rest.optional_number("window")?.unwrap_or(2),
            }
        } else if rest.keyword("fc") || rest.keyword("linear") {
            LayerSpec::Linear {
                features: rest.number("features")?,
            }
        } else if rest.keyword("flatten") {
            LayerSpec::Flatten
        } else {
            return Err(SpecProblem::UnknownLayer);
        };
        if !rest.0.is_empty() {
            return Err(SpecProblem::Trailing {
                rest: rest.0.to_string(),
            });
        }
        Ok(spec)
    }
}

/// What is left of a token while it is read: keywords, then numbers.
struct Numbers<'a>(&'a str);

impl Numbers<'_> {
    /// Consumes `word` if the rest starts with it.
    fn keyword(&mut self, word: &str) -> bool {
        match self.0.strip_prefix(word) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn optional_number(&mut self, what: &'static str) -> Result<Option<usize>, SpecProblem> {
        let digits = self.0.len()
            - self
                .0
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        if digits == 0 {
            return Ok(None);
        }
        let (number, rest) = self.0.split_at(digits);
        self.0 = rest;
        number
            .parse()
            .map(Some)
            .map_err(|_| SpecProblem::NumberTooLarge {
                what,
                number: number.to_string(),
            })
    }

    fn number(&mut self, what: &'static str) -> Result<usize, SpecProblem> {
        self.optional_number(what)?
            .ok_or(SpecProblem::MissingNumber { what })
    }
}
