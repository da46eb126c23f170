//! Saving and loading a model's weights in Burn's `.bpk` format.

use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;

use super::lenet::{LeNet, LeNetConfig};
use crate::{Error, Result};

/// `path`, with `.bpk` added when it has no extension: what [`LeNet::save`] writes
/// and [`LeNet::load`] reads, so the two agree on a bare name.
fn bpk_path(path: &Path) -> std::path::PathBuf {
    if path.extension().is_some() {
        path.to_path_buf()
    } else {
        path.with_extension("bpk")
    }
}

impl LeNet {
    /// Writes the weights to `path` (`.bpk`, written atomically; `.bpk` is added
    /// to a path without an extension, and [`load`](Self::load) does the same).
    ///
    /// ```
    /// use lenet::{Architecture, LeNet, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let config = LeNetConfig::new(Architecture::LENET5);
    /// let model = config.init(&device);
    /// let path = std::env::temp_dir().join(format!("lenet-doc-{}.bpk", std::process::id()));
    /// model.save(&path)?;
    /// let again = LeNet::load(&config, &path, &device)?;
    /// # std::fs::remove_file(&path).unwrap();
    /// # let _ = again;
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn save(&self, path: &Path) -> Result<()> {
        let path = &bpk_path(path);
        self.clone()
            .into_record()
            .save(path)
            .map_err(|e| Error::Checkpoint {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
    }

    /// Builds the model `config` describes on `device` and loads the weights at
    /// `path` into it. Weights of another architecture are an error that says so.
    pub fn load(config: &LeNetConfig, path: &Path, device: &Device) -> Result<LeNet> {
        let path = &bpk_path(path);
        if !path.is_file() {
            return Err(Error::Checkpoint {
                path: path.to_path_buf(),
                reason: "no such file".into(),
            });
        }
        let fail = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let record = ModuleRecord::load(path)
            .map_err(|e| fail(format!("not a readable .bpk model file ({e})")))?;
        config.init(device).try_load_record(record).map_err(|e| {
            fail(format!(
                "these weights do not fit the {} model (was it saved from another \
                 architecture?): {e}",
                config.architecture
            ))
        })
    }
}
