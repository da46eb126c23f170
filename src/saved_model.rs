//! A trained model as it is found on disk: the weights, and the settings they
//! need to be used correctly (architecture and input normalisation), read from
//! the `config.json` saved beside them — never guessed.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::data::Normalization;
use crate::model::{Architecture, LeNet, LeNetConfig};
use crate::{CheckpointProblem, Error, Result};

/// Weights plus what they need.
#[derive(Debug, Clone)]
pub struct SavedModel {
    /// The model, on the device it was loaded to.
    pub model: LeNet,
    /// Its architecture.
    pub architecture: Architecture,
    /// The input normalisation it was trained with.
    pub normalization: Normalization,
    /// Whether `normalization` was read from the files (the `config.json`
    /// beside the weights, or a `.safetensors` file's metadata) rather than
    /// assumed to be the tutorial's `[0, 1]`.
    pub normalization_recorded: bool,
    /// The `config.json` beside the weights the settings came from, or `None`
    /// when there was none (then the architecture came from the caller or the
    /// file's keys, and the normalisation from a `.safetensors` file's metadata
    /// or, see `normalization_recorded`, was assumed to be `[0, 1]`).
    pub config_path: Option<PathBuf>,
}

/// The file formats weights can be read from, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFormat {
    /// Burn's burnpack (`.bpk`), as `train_mnist` writes.
    Burnpack,
    /// A PyTorch `state_dict` saved with `torch.save` (`.pth`, `.pt`).
    Pytorch,
    /// A safetensors file with PyTorch's key names.
    Safetensors,
}

impl WeightsFormat {
    /// Recognises the format of `path` from its content.
    pub fn detect(path: &Path) -> Result<Self> {
        use std::io::Read;
        let mut head = [0u8; 9];
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let n = file.read(&mut head).map_err(|e| Error::io(path, e))?;
        let head = &head[..n];
        if head.starts_with(b"NRUB") {
            Ok(WeightsFormat::Burnpack)
        } else if head.starts_with(b"PK\x03\x04") || head.first() == Some(&0x80) {
            Ok(WeightsFormat::Pytorch)
        } else if n == 9 && head[8] == b'{' {
            Ok(WeightsFormat::Safetensors)
        } else if n == 0 {
            Err(Error::Checkpoint {
                path: path.to_path_buf(),
                reason: CheckpointProblem::Empty,
            })
        } else {
            Err(Error::Checkpoint {
                path: path.to_path_buf(),
                reason: CheckpointProblem::NotAModelFile,
            })
        }
    }
}

/// What a model needs from the `config.json` of its run: the network and the
/// inputs' normalisation — read alone, whatever else the run recorded.
#[derive(Debug, serde::Deserialize)]
struct ModelSettings {
    model: LeNetConfig,
    #[serde(default = "no_normalization")]
    normalization: Normalization,
}

fn no_normalization() -> Normalization {
    Normalization::None
}

impl ModelSettings {
    fn read(path: &Path) -> Result<Self> {
        let text = crate::read_limit::read_text_at_most(
            path,
            crate::read_limit::MAX_JSON_BYTES,
            "a training config",
        )?;
        serde_json::from_str(&text).map_err(|e| Error::Checkpoint {
            path: path.to_path_buf(),
            reason: CheckpointProblem::Unreadable {
                what: "training config",
                detail: e.to_string(),
            },
        })
    }
}

impl SavedModel {
    /// Wraps a model in memory with the normalisation it was trained with.
    pub fn new(model: LeNet, normalization: Normalization) -> Self {
        Self {
            architecture: model.architecture().clone(),
            model,
            normalization,
            normalization_recorded: true,
            config_path: None,
        }
    }

    /// Loads `weights`: Burn `.bpk`, PyTorch `.pth` or `.safetensors`, told apart by
    /// their content. The architecture and normalisation come from the `config.json`
    /// beside the file when there is one (`architecture`, when given, must agree);
    /// otherwise a `.safetensors` written by this crate records its spec and its
    /// normalisation in its metadata, a `.pth` or another `.safetensors` of a named
    /// architecture is recognised from its keys (any other spec must be given), a
    /// `.bpk` needs `architecture`, and where no normalisation is recorded inputs
    /// are taken to be the tutorial's [0, 1] (`normalization_recorded` says which).
    ///
    /// ```no_run
    /// use lenet::SavedModel;
    ///
    /// let device = lenet::device("auto")?;
    /// let saved = SavedModel::load("runs/train_mnist/model.bpk".as_ref(), None, &device)?;
    /// println!("{} trained with {:?}", saved.architecture, saved.normalization);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn load(
        weights: &Path,
        architecture: Option<Architecture>,
        device: &Device,
    ) -> Result<Self> {
        let config_path = weights.with_file_name("config.json");
        let config = if config_path.is_file() {
            Some(ModelSettings::read(&config_path)?)
        } else {
            None
        };
        let expected = match (&config, architecture) {
            (Some(config), Some(asked)) if config.model.architecture != asked => {
                return Err(Error::Checkpoint {
                    path: weights.to_path_buf(),
                    reason: CheckpointProblem::OtherArchitecture {
                        found: config.model.architecture.to_string(),
                        asked: asked.to_string(),
                        by: config_path.display().to_string(),
                    },
                });
            }
            (Some(config), _) => Some(config.model.architecture.clone()),
            (None, asked) => asked,
        };
        // The normalisation a file records itself (only .safetensors do).
        let (model, in_file) = match (WeightsFormat::detect(weights)?, expected.as_ref()) {
            (WeightsFormat::Burnpack, Some(arch)) => (
                LeNet::load(&LeNetConfig::new(arch.clone()), weights, device)?,
                None,
            ),
            (WeightsFormat::Burnpack, None) => {
                return Err(Error::ArchitectureNotKnown {
                    path: weights.to_path_buf(),
                });
            }
            // PyTorch and safetensors files name their layers: the keys (or the
            // crate's metadata) tell the architecture.
            (WeightsFormat::Pytorch, arch) => {
                (crate::model::load_pytorch(weights, arch, device)?, None)
            }
            (WeightsFormat::Safetensors, arch) => {
                crate::model::read_safetensors(weights, arch, device)?
            }
        };
        let recorded = config.map(|c| c.normalization).or(in_file);
        Ok(Self {
            architecture: model.architecture().clone(),
            model,
            normalization: recorded.unwrap_or(Normalization::None),
            normalization_recorded: recorded.is_some(),
            config_path: config_path.is_file().then_some(config_path),
        })
    }
}
