//! Checkpoints that survive a crash at any instant.
//!
//! A checkpoint is a directory `step-<N>/` holding `model.bpk`, `optimizer.bpk`,
//! `config.json` (the recipe), `run.json` (the options) and `position.json`. It is written under a temporary name and
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
use super::options::{RUN_FILE, RunOptions};
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
    /// Running sums of the epoch in progress (their fields sit beside these in
    /// `position.json`, as they always have).
    #[serde(flatten)]
    pub sums: EpochSums,
    /// Completed epochs.
    pub history: History,
}

/// What an epoch adds up while it runs, from which its record is made; a new
/// epoch starts from `EpochSums::default()`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EpochSums {
    /// Training loss times images, over the steps read so far.
    #[serde(rename = "epoch_loss_sum")]
    pub loss_sum: f64,
    /// Training images classified right.
    #[serde(rename = "epoch_correct")]
    pub correct: u64,
    /// Training images seen.
    #[serde(rename = "epoch_seen")]
    pub seen: u64,
    /// Seconds spent in the epoch's steps.
    #[serde(rename = "epoch_seconds")]
    pub seconds: f64,
    /// Reads of the device (absent from checkpoints written before it was counted).
    #[serde(default, rename = "epoch_device_reads")]
    pub device_reads: u64,
}

/// A checkpoint read back from disk.
pub(crate) struct Restored {
    pub config: TrainConfig,
    pub options: RunOptions,
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
    options: &RunOptions,
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
    write_atomic(&temp.join(RUN_FILE), options.to_saved_json().as_bytes())?;
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

/// A checkpoint found on disk: where it is, its run's recipe and options, and
/// how far it had trained — read without its weights, which
/// [`load_model`](Self::load_model) reads and checks.
///
/// ```no_run
/// use lenet::train::Checkpoint;
///
/// let checkpoint = Checkpoint::find("runs/lenet5".as_ref())?;
/// println!("{} of {} epochs, step {}, data from {:?}", checkpoint.epochs_done,
///     checkpoint.config.epochs, checkpoint.global_step, checkpoint.options.data_dir);
/// let model = checkpoint.load_model(&lenet::device("flex")?)?;
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Its `step-*` directory.
    pub dir: PathBuf,
    /// The recipe of its run.
    pub config: TrainConfig,
    /// How its run was carried out (`output_dir` is `None`: the checkpoint's own
    /// run directory is where a resumed run writes); `data_dir` says where its
    /// data came from, if the run was told.
    pub options: RunOptions,
    /// Epochs finished.
    pub epochs_done: usize,
    /// Steps trained over the whole run.
    pub global_step: usize,
}

impl Checkpoint {
    /// The newest checkpoint `path` names: a run's output directory, its
    /// `checkpoints/`, or one `step-*` directory (see [`resume`](crate::train::resume)).
    pub fn find(path: &Path) -> Result<Self> {
        let (_, dir) = locate(path)?;
        Ok(Self::read(dir)?.0)
    }

    /// Its model on `device`, the weights checked against the run's
    /// architecture; its optimizer state is read and checked too.
    pub fn load_model(&self, device: &Device) -> Result<LeNet> {
        let (model, _) = read_weights(&self.dir, &self.config, device)?;
        Ok(model)
    }

    /// The checkpoint in `dir`, with its position.
    fn read(dir: PathBuf) -> Result<(Self, Position)> {
        let config = TrainConfig::from_file(&dir.join("config.json"))?;
        let options = RunOptions::saved_in(&dir)?;
        let position = position_in(&dir)?;
        let checkpoint = Self {
            dir,
            config,
            options,
            epochs_done: position.epoch,
            global_step: position.global_step,
        };
        Ok((checkpoint, position))
    }
}

/// Reads the checkpoint `path` refers to, with the model on `device`.
pub(crate) fn read(path: &Path, device: &Device) -> Result<Restored> {
    let (root, dir) = locate(path)?;
    let (checkpoint, position) = Checkpoint::read(dir)?;
    let (model, optimizer) = read_weights(&checkpoint.dir, &checkpoint.config, device)?;
    Ok(Restored {
        config: checkpoint.config,
        options: checkpoint.options,
        model,
        optimizer,
        position,
        root,
    })
}

/// The position recorded in checkpoint directory `dir`.
fn position_in(dir: &Path) -> Result<Position> {
    let position_path = dir.join("position.json");
    let position_text =
        read_text_at_most(&position_path, MAX_JSON_BYTES, "a checkpoint's position")?;
    serde_json::from_str(&position_text)
        .map_err(|e| unreadable(&position_path, "checkpoint position", e))
}

/// The model and optimizer state of checkpoint directory `dir`, each checked
/// against the run's architecture before it is read.
fn read_weights(
    dir: &Path,
    config: &TrainConfig,
    device: &Device,
) -> Result<(LeNet, OptimizerRecord)> {
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
    Ok((model, optimizer))
}
