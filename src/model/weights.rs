//! Saving and loading a model's weights in Burn's `.bpk` format.

use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;

use super::architecture::Architecture;
use super::lenet::{LeNet, LeNetConfig};
use crate::read_limit::read_at_most;
use crate::{CheckpointProblem, Error, Result};

/// Header room a weights file may take beyond its tensors (names, shapes,
/// metadata): far more than any of this crate's files need.
const HEADER_BYTES: u64 = 1 << 20;

/// The largest weights file `architecture`'s parameters can fill: every value in
/// 8 bytes (`f64`, the widest type a file may store), plus a header. A larger
/// file is refused before it is read.
pub(crate) fn max_weights_bytes(architecture: &Architecture, tensors_per_param: u64) -> u64 {
    architecture.num_params() as u64 * 8 * tensors_per_param + HEADER_BYTES
}

/// A `.bpk` file's record, read whole only when it is no larger than
/// `architecture` (times `tensors_per_param`: an optimizer keeps two moments a
/// weight) can fill.
pub(crate) fn read_burnpack(
    path: &Path,
    architecture: &Architecture,
    tensors_per_param: u64,
) -> Result<burn::tensor::Bytes> {
    let limit = max_weights_bytes(architecture, tensors_per_param);
    let bytes = read_at_most(path, limit, "a weights file of its architecture")?;
    Ok(burn::tensor::Bytes::from_bytes_vec(bytes))
}

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
    /// Writes the weights to `path` (`.bpk`, written atomically: to a temporary
    /// name, then renamed; `.bpk` is added
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
        let bytes = self
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| Error::Checkpoint {
                path: path.to_path_buf(),
                reason: CheckpointProblem::NotWritten {
                    detail: e.to_string(),
                },
            })?;
        crate::atomic_file::write_atomic(path, &bytes)
    }

    /// Builds the model `config` describes on `device` and loads the weights at
    /// `path` into it. Weights of another architecture are an error that says so;
    /// a file larger than the architecture's parameters could fill is refused
    /// before it is read.
    pub fn load(config: &LeNetConfig, path: &Path, device: &Device) -> Result<LeNet> {
        let path = &bpk_path(path);
        if !path.is_file() {
            return Err(Error::Checkpoint {
                path: path.to_path_buf(),
                reason: CheckpointProblem::NoSuchFile,
            });
        }
        let fail = |reason| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = read_burnpack(path, &config.architecture, 1)?;
        let record = ModuleRecord::from_bytes(bytes).map_err(|e| {
            fail(CheckpointProblem::Unreadable {
                what: ".bpk model file",
                detail: e.to_string(),
            })
        })?;
        config.init(device).try_load_record(record).map_err(|e| {
            fail(CheckpointProblem::DoesNotFit {
                architecture: config.architecture.to_string(),
                detail: e.to_string(),
            })
        })
    }
}
