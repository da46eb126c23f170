//! The architectures as data: what differs between LeNet5, its extra-conv
//! variant and its one-conv variant is a list of convolution specs, nothing else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which network to build.
///
/// ```
/// use lenet::Architecture;
///
/// let arch: Architecture = "extra-conv".parse()?;
/// assert_eq!(arch, Architecture::ExtraConv);
/// assert_eq!(arch.name(), "extra-conv");
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Architecture {
    /// Conv(1→6, 5×5, pad 2) ReLU MaxPool · Conv(6→16, 5×5) ReLU MaxPool ·
    /// Linear 400→120→84→10. 61,706 parameters.
    #[serde(rename = "lenet5")]
    LeNet5,
    /// LeNet5 plus Conv(16→32, 5×5) ReLU after the second pool, which shrinks the
    /// feature map to 1×1: Linear 32→120→84→10. 30,378 parameters.
    #[serde(rename = "extra-conv")]
    ExtraConv,
    /// LeNet5 with its second convolution removed — the tutorial's "one layer fewer":
    /// Conv(1→6, 5×5, pad 2) ReLU MaxPool · Linear 1176→120→84→10. 152,410
    /// parameters, almost all in the first linear layer.
    #[serde(rename = "one-conv")]
    OneConv,
}

/// One convolution stage: conv, ReLU, then an optional 2×2 max-pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvSpec {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub padding: usize,
    pub pool: bool,
}

const fn stage(in_channels: usize, out_channels: usize, padding: usize, pool: bool) -> ConvSpec {
    ConvSpec {
        in_channels,
        out_channels,
        kernel: 5,
        padding,
        pool,
    }
}

/// The tutorial's two LeNet5 stages, shared by every architecture.
const LENET5_STAGES: [ConvSpec; 2] = [stage(1, 6, 2, true), stage(6, 16, 0, true)];
const EXTRA_CONV_STAGES: [ConvSpec; 3] =
    [LENET5_STAGES[0], LENET5_STAGES[1], stage(16, 32, 0, false)];
const ONE_CONV_STAGES: [ConvSpec; 1] = [LENET5_STAGES[0]];

/// Hidden widths of the classifier, the same for every architecture.
pub(crate) const HIDDEN_WIDTHS: [usize; 2] = [120, 84];

/// Side length of the square input images.
pub const INPUT_SIZE: usize = 28;

impl Architecture {
    /// Every architecture, in the order help texts list them.
    pub const ALL: [Architecture; 3] = [
        Architecture::LeNet5,
        Architecture::ExtraConv,
        Architecture::OneConv,
    ];

    /// The name used on command lines and in files.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::LeNet5 => "lenet5",
            Architecture::ExtraConv => "extra-conv",
            Architecture::OneConv => "one-conv",
        }
    }

    /// A title for tables and pictures.
    pub fn title(self) -> &'static str {
        match self {
            Architecture::LeNet5 => "LeNet5",
            Architecture::ExtraConv => "LeNet5 + extra conv",
            Architecture::OneConv => "LeNet5 − one conv",
        }
    }

    pub(crate) fn conv_stages(self) -> &'static [ConvSpec] {
        match self {
            Architecture::LeNet5 => &LENET5_STAGES,
            Architecture::ExtraConv => &EXTRA_CONV_STAGES,
            Architecture::OneConv => &ONE_CONV_STAGES,
        }
    }

    /// Length of the flattened feature vector that enters the classifier,
    /// followed through the stages from a 28×28 input.
    pub(crate) fn flattened_len(self) -> usize {
        let mut side = INPUT_SIZE;
        let mut channels = 1;
        for spec in self.conv_stages() {
            side = side + 2 * spec.padding - spec.kernel + 1;
            if spec.pool {
                side /= 2;
            }
            channels = spec.out_channels;
        }
        channels * side * side
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Architecture {
    type Err = Error;

    /// Accepts the names above, case-insensitively, plus a few spellings people use
    /// (`LeNet5`, `lenet`, `extra_conv`, `self_lenet` as the tutorial's file calls it).
    fn from_str(name: &str) -> Result<Self> {
        let key: String = name
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match key.as_str() {
            "lenet5" | "lenet" => Ok(Architecture::LeNet5),
            "extraconv" | "lenet5extraconv" | "selflenet" => Ok(Architecture::ExtraConv),
            "oneconv" | "lenet5oneconv" | "fewerconv" => Ok(Architecture::OneConv),
            _ => Err(Error::UnknownArchitecture {
                name: name.to_string(),
                available: Self::ALL.map(Architecture::name).join(", "),
            }),
        }
    }
}
