//! The runs directory: every run is `DIR/<id>/` with exactly the files
//! `train_mnist --out` writes, plus, for a run the lab started, a small
//! `lab.json` saying what it was asked and where it stands. A run trained by
//! the command line shows up here; a run trained here resumes there.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::super::api::ApiError;
use crate::train::TrainConfig;
use crate::{Architecture, Error, Result};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Waiting for the runs before it.
    Queued,
    /// Training now.
    Running,
    /// Finished: `metrics.json` is written.
    Done,
    /// Stopped on request; resumes from its last checkpoint.
    Stopped,
    /// Was queued or training when the server stopped; resumes from its last
    /// checkpoint (or from the start, if it had none).
    Interrupted,
    /// Training failed (the error is recorded).
    Failed,
}

/// What the lab records about a run it started (`lab.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LabRecord {
    /// The state last written: `queued`, `running`, `stopped` or `failed`
    /// (a run found `queued` or `running` with no job is interrupted).
    pub(crate) state: RunState,
    /// Why it failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// One run, as `GET /api/runs` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// Its directory's name in the runs directory.
    pub id: String,
    /// The architecture's spec (or name: `lenet5`).
    pub spec: String,
    /// The recipe it was started from.
    pub recipe: String,
    /// Its seed.
    pub seed: u64,
    /// Epochs it trains for.
    pub epochs: usize,
    /// Training images used (`None`: all of them).
    pub limit: Option<usize>,
    /// Equal for runs trained alike but for their seed (a digest of every other
    /// setting: compare it, do not read it); the page draws such runs' curves
    /// as one experiment's seeds.
    pub experiment: String,
    /// Its experiment's name among every run in the runs directory: the spec, with
    /// its recipe, epochs and images where the spec was also trained another
    /// way (`GET /api/compare` names it as `GET /api/runs` does).
    pub experiment_name: String,
    /// Parameters of its network.
    pub params: usize,
    /// Where it stands.
    pub state: RunState,
    /// Epochs finished so far (from its last checkpoint or its history).
    pub epochs_done: usize,
    /// Accuracy on the 10,000 test images, once done.
    pub test_accuracy: Option<f64>,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The longest run id.
const MAX_ID: usize = 100;

/// The runs directory.
#[derive(Debug, Clone)]
pub(crate) struct Runs {
    root: PathBuf,
}

impl Runs {
    /// The runs in `root`, made if it does not exist.
    pub(crate) fn open(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Whether `id` can name a run: letters, digits, `-`, `_` and `.` (not
    /// first), at most 100 — never a path outside the runs directory.
    pub(crate) fn valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= MAX_ID
            && !id.starts_with('.')
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    }

    /// The directory of run `id`, which must exist.
    pub(crate) fn dir(&self, id: &str) -> Result<PathBuf, ApiError> {
        if !Self::valid_id(id) {
            return Err(ApiError::bad_request(format!("`{id}` is not a run id")));
        }
        let dir = self.root.join(id);
        if !dir.join("config.json").is_file() && !dir.join(LAB_FILE).is_file() {
            return Err(ApiError::not_found(format!("no run `{id}`")));
        }
        Ok(dir)
    }

    /// A new run's directory, named after its network and seed, made here
    /// (exclusively: two requests never share one).
    pub(crate) fn create(
        &self,
        architecture: &Architecture,
        seed: u64,
    ) -> Result<(String, PathBuf)> {
        let stem: String = architecture
            .name()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(60)
            .collect();
        for n in 1..10_000 {
            let id = format!("{stem}-s{seed}-{n}");
            let dir = self.root.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok((id, dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&dir, e)),
            }
        }
        Err(Error::InvalidArgument(format!(
            "no free run id for {stem}-s{seed} in {}",
            self.root.display()
        )))
    }

    /// Every run's id, sorted.
    pub(crate) fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|id| Self::valid_id(id))
            .filter(|id| {
                let dir = self.root.join(id);
                dir.join("config.json").is_file() || dir.join(LAB_FILE).is_file()
            })
            .collect();
        ids.sort();
        ids
    }

    /// Run `id` as found on disk, its state as the files say (`active`: the
    /// state of its job, if it has one).
    pub(crate) fn info(&self, id: &str, active: Option<RunState>) -> Result<RunInfo, ApiError> {
        let dir = self.dir(id)?;
        let config = run_config(&dir).map_err(|e| ApiError::new(500, e.full_message()))?;
        let record = read_record(&dir);
        let metrics: Option<serde_json::Value> = read_json(&dir.join("metrics.json"));
        let history: Option<crate::train::History> = read_json(&dir.join("history.json"));
        let state = match (active, &metrics, &record) {
            (Some(state), _, _) => state,
            (None, Some(_), _) => RunState::Done,
            (None, None, Some(record)) => match record.state {
                RunState::Queued | RunState::Running => RunState::Interrupted,
                other => other,
            },
            (None, None, None) => RunState::Interrupted,
        };
        let epochs_done = match crate::train::Checkpoint::find(&dir) {
            Ok(checkpoint) => checkpoint.epochs_done,
            Err(_) => history.map_or(0, |h| h.epochs.len()),
        };
        Ok(RunInfo {
            id: id.to_string(),
            spec: config.model.architecture.name().to_string(),
            recipe: config.recipe.to_string(),
            seed: config.seed,
            epochs: config.epochs,
            limit: config.limit_train,
            experiment: super::comparison::experiment_key(&config),
            experiment_name: config.model.architecture.name().to_string(),
            params: config.model.architecture.num_params(),
            state,
            epochs_done,
            test_accuracy: metrics.as_ref().and_then(|m| m["test_accuracy"].as_f64()),
            error: record.and_then(|r| r.error),
        })
    }

    /// Bytes the runs directory holds.
    pub(crate) fn disk_use(&self) -> u64 {
        fn size(path: &Path) -> u64 {
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => std::fs::read_dir(path)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ok())
                    .map(|e| size(&e.path()))
                    .sum(),
                Ok(m) => m.len(),
                Err(_) => 0,
            }
        }
        size(&self.root)
    }
}

/// The file the lab keeps beside a run's own.
pub(crate) const LAB_FILE: &str = "lab.json";

/// The training config of the run in `dir`: its `config.json`, else its newest
/// checkpoint's.
pub(crate) fn run_config(dir: &Path) -> Result<TrainConfig> {
    let config = dir.join("config.json");
    if config.is_file() {
        TrainConfig::from_file(&config)
    } else {
        crate::train::Checkpoint::find(dir).map(|checkpoint| checkpoint.config)
    }
}

pub(crate) fn read_record(dir: &Path) -> Option<LabRecord> {
    read_json(&dir.join(LAB_FILE))
}

pub(crate) fn write_record(dir: &Path, record: &LabRecord) -> Result<()> {
    let json = serde_json::to_vec_pretty(record).expect("plain data serialises");
    crate::atomic_file::write_atomic(&dir.join(LAB_FILE), &json)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let bytes = crate::read_limit::read_at_most(path, 16 << 20, "a run's record").ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_never_name_a_path_outside_the_runs() {
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            ".hidden",
            "a\\b",
            "é",
            &"x".repeat(101),
        ] {
            assert!(!Runs::valid_id(bad), "{bad}");
        }
        for good in ["lenet5-s0-1", "conv8k3p1-relu-pool-fc10-s3-12", "my_run.2"] {
            assert!(Runs::valid_id(good), "{good}");
        }
    }

    #[test]
    fn new_runs_get_their_own_directories() {
        let dir = tempfile::tempdir().unwrap();
        let runs = Runs::open(dir.path()).unwrap();
        let (a, _) = runs.create(&Architecture::LENET5, 0).unwrap();
        let (b, _) = runs.create(&Architecture::LENET5, 0).unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("lenet5-s0-1", "lenet5-s0-2"));
        let spec: Architecture = "conv8k3p1-relu-pool-fc10".parse().unwrap();
        let (c, _) = runs.create(&spec, 4).unwrap();
        assert_eq!(c, "conv8k3p1-relu-pool-fc10-s4-1");
        assert!(
            runs.ids().is_empty(),
            "no run until it has a config or a record"
        );
    }
}
