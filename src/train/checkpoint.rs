//! Checkpoints that survive a crash at any instant.
//!
//! A checkpoint is a directory `step-<N>/` holding `model.bpk`, `optimizer.bpk`,
//! `config.json` and `position.json`. It is written under a temporary name and
//! renamed when complete; then the one-line file `latest` is replaced
//! atomically to point at it; only then are older checkpoints removed. Killing
//! the process at any point leaves `latest` naming a complete checkpoint.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::{ModuleOptimizer, OptimizerRecord};
use burn::store::ModuleRecord;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::history::History;
use crate::atomic_file::write_atomic;
use crate::model::LeNet;
use crate::model::read_burnpack;
use crate::read_limit::{MAX_JSON_BYTES, read_text_at_most};
use crate::{CheckpointProblem, Error, Result};

/// The pointer file naming the newest complete checkpoint.
const LATEST: &str = "latest";
/// Checkpoints kept (the newest and one before it), so that a run whose `latest`
/// is lost, or names one that is not complete, falls back to the newest complete
/// one. (A complete checkpoint whose files were damaged afterwards is an error,
/// not a fallback.)
const KEEP: usize = 2;

/// Where a run stands, with what it needs to continue exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Position {
    /// 0-based epoch in progress.
    pub epoch: usize,
    /// Batches of that epoch already trained.
    pub next_batch: usize,
    /// Steps trained over the whole run.
    pub global_step: usize,
    /// Running sums of the epoch in progress.
    pub epoch_loss_sum: f64,
    pub epoch_correct: u64,
    pub epoch_seen: u64,
    pub epoch_seconds: f64,
    #[serde(default)]
    pub epoch_device_reads: u64,
    /// Completed epochs.
    pub history: History,
}

/// A checkpoint read back from disk.
pub(crate) struct Restored {
    pub config: TrainConfig,
    pub model: LeNet,
    pub optimizer: OptimizerRecord,
    pub position: Position,
    /// The checkpoints directory it came from (new checkpoints go there too).
    pub root: PathBuf,
}

fn checkpoint_error(path: &Path, reason: CheckpointProblem) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        reason,
    }
}

/// A file of a checkpoint that cannot be read as `what`.
fn unreadable(path: &Path, what: &'static str, detail: impl std::fmt::Display) -> Error {
    checkpoint_error(
        path,
        CheckpointProblem::Unreadable {
            what,
            detail: detail.to_string(),
        },
    )
}

/// A file of a checkpoint that could not be written.
fn not_written(path: &Path, detail: impl std::fmt::Display) -> Error {
    checkpoint_error(
        path,
        CheckpointProblem::NotWritten {
            detail: detail.to_string(),
        },
    )
}

/// Writes a checkpoint into `root` and returns its directory.
pub(crate) fn write(
    root: &Path,
    model: &LeNet,
    optimizer: &ModuleOptimizer,
    config: &TrainConfig,
    position: &Position,
) -> Result<PathBuf> {
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    let name = format!("step-{:08}", position.global_step);
    let dir = root.join(&name);
    let (temp, _) = crate::atomic_file::create_temporary(&dir, true)?;
    let model_path = temp.join("model.bpk");
    model
        .clone()
        .into_record()
        .save(&model_path)
        .map_err(|e| not_written(&model_path, e))?;
    let optimizer_path = temp.join("optimizer.bpk");
    optimizer
        .to_record()
        .save(&optimizer_path)
        .map_err(|e| not_written(&optimizer_path, e))?;
    write_atomic(&temp.join("config.json"), config.to_string().as_bytes())?;
    let position_json = serde_json::to_string_pretty(position)
        .map_err(|e| not_written(&temp.join("position.json"), e))?;
    write_atomic(&temp.join("position.json"), position_json.as_bytes())?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    std::fs::rename(&temp, &dir).map_err(|e| Error::io(&dir, e))?;
    sync_dir(root);
    write_atomic(&root.join(LATEST), name.as_bytes())?;
    prune(root, &name);
    Ok(dir)
}

/// Makes a rename durable (best effort: not every platform can open directories).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

/// Whether `name` is a temporary checkpoint directory of this process, or of one
/// that is no longer running (Linux: no `/proc/<pid>`); never a running
/// process's, which may be writing it.
fn stale_temporary(name: &str) -> bool {
    let Some(pid) = crate::atomic_file::temporary_owner(name, "step-") else {
        return false;
    };
    // Without /proc (not mounted, another system) every process would look gone.
    let proc_works = cfg!(target_os = "linux") && Path::new("/proc/self").exists();
    pid == std::process::id() || (proc_works && !Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes all but the newest `KEEP` checkpoints, stale temporary directories,
/// and checkpoints past `newest`: steps only grow within a run, so those are
/// left from an earlier run into the same directory, and a fallback must never
/// take one of them for this run's.
fn prune(root: &Path, newest: &str) {
    for name in names_in(root).filter(|name| stale_temporary(name)) {
        let _ = std::fs::remove_dir_all(root.join(name));
    }
    let (this_run, earlier_run): (Vec<String>, Vec<String>) = step_names(root)
        .into_iter()
        .partition(|name| step_number(name) <= step_number(newest));
    let excess = this_run.len().saturating_sub(KEEP);
    for name in this_run[..excess].iter().chain(&earlier_run) {
        let _ = std::fs::remove_dir_all(root.join(name));
    }
}

/// The names of the entries of `root` (none when it cannot be read).
fn names_in(root: &Path) -> impl Iterator<Item = String> {
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
}

/// The `step-*` directory names in `root`, oldest first.
fn step_names(root: &Path) -> Vec<String> {
    let mut steps: Vec<String> = names_in(root).filter(|name| is_step_name(name)).collect();
    steps.sort_by_key(|name| step_number(name));
    steps
}

/// Whether `name` is a checkpoint directory's name (`step-` and digits): a single
/// path component, so `latest` cannot point outside its run directory.
fn is_step_name(name: &str) -> bool {
    name.strip_prefix("step-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The step of a `step-<digits>` name (0 for any other name).
fn step_number(name: &str) -> u64 {
    name.strip_prefix("step-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Whether `dir` holds a complete checkpoint (its last file, `position.json`,
/// is there: directories are renamed into place only when complete).
fn is_complete(dir: &Path) -> bool {
    dir.join("position.json").is_file()
}

/// The newest complete `step-*` directory in `root`, if any.
fn newest_complete(root: &Path) -> Option<PathBuf> {
    step_names(root)
        .iter()
        .rev()
        .map(|name| root.join(name))
        .find(|dir| is_complete(dir))
}

/// Finds the checkpoint `path` refers to: a run's output directory, its
/// `checkpoints/` directory, or one `step-*` directory. In a checkpoints
/// directory, `latest` names it; where `latest` is missing, unreadable, names
/// something that is not a `step-*` directory of its own, or one that is not
/// complete, the newest complete `step-*` directory is taken instead.
pub(crate) fn locate(path: &Path) -> Result<(PathBuf, PathBuf)> {
    for root in [path.join("checkpoints"), path.to_path_buf()] {
        let pointer = root.join(LATEST);
        let named = crate::read_limit::read_text_at_most(&pointer, 256, "a checkpoint pointer")
            .ok()
            .map(|name| name.trim().to_string())
            .filter(|name| is_step_name(name))
            .map(|name| root.join(name))
            .filter(|dir| is_complete(dir));
        if let Some(dir) = named.or_else(|| newest_complete(&root)) {
            return Ok((root, dir));
        }
    }
    if path.join("position.json").is_file() {
        let root = path.parent().unwrap_or(path).to_path_buf();
        return Ok((root, path.to_path_buf()));
    }
    Err(checkpoint_error(path, CheckpointProblem::NoCheckpoint))
}

/// The settings of the run whose newest checkpoint `path` names (a run's output
/// directory, its `checkpoints/`, or one `step-*` directory), without loading
/// its weights: for example to find the data it was trained on before
/// [`resume`](crate::train::resume) needs it.
///
/// ```no_run
/// let config = lenet::train::checkpoint_config("runs/lenet5".as_ref())?;
/// println!("epoch count {}, data from {:?}", config.epochs, config.data_dir);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn checkpoint_config(path: &Path) -> Result<TrainConfig> {
    let (_, dir) = locate(path)?;
    config_in(&dir)
}

/// The newest checkpoint's directory `path` names, if it has one.
#[cfg(feature = "explore")]
pub(crate) fn newest_checkpoint(path: &Path) -> Option<PathBuf> {
    locate(path).ok().map(|(_, dir)| dir)
}

/// Epochs finished at the newest checkpoint `path` names, if it has one.
#[cfg(feature = "explore")]
pub(crate) fn completed_epochs(path: &Path) -> Option<usize> {
    let (_, dir) = locate(path).ok()?;
    let position = dir.join("position.json");
    let text = read_text_at_most(&position, MAX_JSON_BYTES, "a checkpoint's position").ok()?;
    serde_json::from_str::<Position>(&text)
        .ok()
        .map(|p| p.epoch)
}

fn config_in(dir: &Path) -> Result<TrainConfig> {
    TrainConfig::from_file(&dir.join("config.json"))
}

/// Reads the checkpoint `path` refers to, with the model on `device`.
pub(crate) fn read(path: &Path, device: &Device) -> Result<Restored> {
    let (root, dir) = locate(path)?;
    let config = config_in(&dir)?;
    let position_path = dir.join("position.json");
    let position_text =
        read_text_at_most(&position_path, MAX_JSON_BYTES, "a checkpoint's position")?;
    let position: Position = serde_json::from_str(&position_text)
        .map_err(|e| unreadable(&position_path, "checkpoint position", e))?;
    let model_path = dir.join("model.bpk");
    let architecture = &config.model.architecture;
    let record = ModuleRecord::from_bytes(read_burnpack(&model_path, architecture, 1)?)
        .map_err(|e| unreadable(&model_path, ".bpk model file", e))?;
    let model = config
        .model
        .init(device)
        .try_load_record(record)
        .map_err(|e| {
            checkpoint_error(
                &model_path,
                CheckpointProblem::DoesNotFit {
                    architecture: architecture.to_string(),
                    detail: e.to_string(),
                },
            )
        })?;
    let optimizer_path = dir.join("optimizer.bpk");
    let optimizer = OptimizerRecord::from_bytes(read_burnpack(&optimizer_path, architecture, 2)?)
        .map_err(|e| unreadable(&optimizer_path, "optimizer state", e))?;
    Ok(Restored {
        config,
        model,
        optimizer,
        position,
        root,
    })
}
