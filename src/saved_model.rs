//! A trained model as it is found on disk: the weights, and the settings they
//! need to be used correctly (architecture and input normalisation), read from
//! the `config.json` saved beside them — never guessed.

use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::tensor::Device;

use crate::data::Normalization;
use crate::model::{Architecture, LeNet, LeNetConfig};
use crate::train::TrainConfig;
use crate::{Error, Result};

/// Weights plus what they need.
#[derive(Debug, Clone)]
pub struct SavedModel {
    /// The model, on the device it was loaded to.
    pub model: LeNet,
    /// Its architecture.
    pub architecture: Architecture,
    /// The input normalisation it was trained with.
    pub normalization: Normalization,
    /// Where the settings came from: the `config.json` beside the weights, or
    /// `None` when there was none and the caller's architecture and the
    /// tutorial's `[0, 1]` inputs were assumed.
    pub config_path: Option<PathBuf>,
}

impl SavedModel {
    /// Wraps a model in memory with the normalisation it was trained with.
    pub fn new(model: LeNet, normalization: Normalization) -> Self {
        Self {
            architecture: model.architecture(),
            model,
            normalization,
            config_path: None,
        }
    }

    /// Loads `weights` (`.bpk`). The architecture and normalisation come from the
    /// `config.json` beside it; `architecture`, when given, must agree with it, and
    /// is required when there is no such file.
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
        let (architecture, normalization, config_path) = if config_path.is_file() {
            let config = TrainConfig::load(&config_path).map_err(|e| Error::Checkpoint {
                path: config_path.clone(),
                reason: format!("unreadable training config: {e}"),
            })?;
            let saved = config.model.architecture;
            if let Some(asked) = architecture
                && asked != saved
            {
                return Err(Error::Checkpoint {
                    path: weights.to_path_buf(),
                    reason: format!(
                        "this is a {saved} model (per {}), not {asked}",
                        config_path.display()
                    ),
                });
            }
            (saved, config.normalization, Some(config_path))
        } else {
            let architecture = architecture.ok_or_else(|| Error::Checkpoint {
                path: weights.to_path_buf(),
                reason: "no config.json beside the weights: say which network it is \
                         (--model lenet5|extra-conv)"
                    .into(),
            })?;
            (architecture, Normalization::None, None)
        };
        let model = LeNet::load(&LeNetConfig::new(architecture), weights, device)?;
        Ok(Self {
            model,
            architecture,
            normalization,
            config_path,
        })
    }
}
