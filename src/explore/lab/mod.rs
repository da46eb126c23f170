//! The lab: write a network, train it live, look inside, know whether it is
//! better — over runs that are directories the command line shares.
//!
//! A run is `RUNS/<id>/` with exactly the files `train_mnist --out` writes
//! (`runs.rs`); training is a job on one thread (`jobs.rs`); progress is a
//! stream of events per run (`events.rs`); comparing is `lenet::compare`'s
//! statistics over run directories, seeds of one spec trained one way as
//! repeats (`comparison.rs`); a run can be taken away as
//! `model.safetensors` with a PyTorch script (`pytorch_script.py`).

mod comparison;
mod events;
mod jobs;
mod routes;
mod runs;

pub use comparison::{CompareAnswer, ComparedModel, ComparedPair};
pub use events::{ProbeKernels, ProbeLayer, RunEvent};
pub(crate) use routes::routes;
pub use runs::{RunInfo, RunState};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::api::ApiError;
use super::{NamedModel, Served};
use crate::data::Mnist;
use crate::train::{History, Recipe, RunOptions, TrainConfig, Trained};
use crate::{Architecture, Error, Result, SavedModel};
use jobs::{Jobs, Refused, Start, Trainer};
use runs::{Runs, run_config};

/// The PyTorch side of a run, as `GET /api/runs/{id}/pytorch.py` serves it
/// (also imported by scripts/pytorch_specs.py).
const PYTORCH_SCRIPT: &str = include_str!("pytorch_script.py");

/// What the lab may be asked for at once.
#[derive(Debug, Clone, PartialEq)]
pub struct LabLimits {
    /// Runs queued or training at most.
    pub queue: usize,
    /// Seeds (runs) one request may start.
    pub seeds: usize,
    /// Epochs one run may train.
    pub epochs: usize,
    /// Bytes the runs directory may hold before new runs are refused.
    pub disk_bytes: u64,
}

impl Default for LabLimits {
    fn default() -> Self {
        Self {
            queue: 32,
            seeds: 10,
            epochs: 50,
            disk_bytes: 4 << 30,
        }
    }
}

/// Where the lab keeps and trains its runs.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// The runs directory (`train_mnist --out DIR/<name>` puts runs there too).
    pub runs: PathBuf,
    /// Where the MNIST it trains on was loaded from (recorded in every run).
    pub data_dir: PathBuf,
    /// The device it trains on, and its name for `metrics.json`.
    pub device: Device,
    /// `flex`, `wgpu`, …
    pub device_name: String,
    /// Its bounds.
    pub limits: LabLimits,
}

/// `POST /api/runs`: what to train.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// A spec or a name (`lenet5`).
    pub spec: String,
    /// `tutorial` (the default) or `improved`.
    #[serde(default)]
    pub recipe: Option<String>,
    /// Epochs (the recipe's when left out).
    #[serde(default)]
    pub epochs: Option<usize>,
    /// One run per seed (1 to 10 of them).
    pub seeds: Vec<u64>,
    /// Train on the first `limit` images only.
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `POST /api/runs` answers the runs it queued.
#[derive(Debug, Clone, Serialize)]
pub struct RunList {
    /// The runs, in the order asked (or every run, for `GET /api/runs`).
    pub runs: Vec<RunInfo>,
}

/// The lab: its runs, its training queue, the data it trains on.
#[derive(Debug)]
pub struct Lab {
    runs: Runs,
    jobs: Jobs,
    data: Arc<Mnist>,
    data_dir: PathBuf,
    device: Device,
    limits: LabLimits,
    /// Finished runs loaded for comparison (with every test image's class).
    trained: Mutex<HashMap<String, Arc<Trained>>>,
    /// Runs loaded as explorer columns, with their weights' modification time.
    served: Mutex<HashMap<String, Column>>,
}

/// A run as a column, and when its weights were written.
type Column = (Option<std::time::SystemTime>, Arc<Served>);

/// A run's events so far and, while it trains, a receiver of the rest.
pub(crate) type EventStreams = (
    Vec<Arc<RunEvent>>,
    Option<tokio::sync::broadcast::Receiver<Arc<RunEvent>>>,
);

impl Lab {
    /// The lab over `options.runs`, training on `data`. A run found queued or
    /// training from an earlier server is shown as interrupted.
    pub fn open(options: LabOptions, data: Mnist) -> Result<Self> {
        let runs = Runs::open(&options.runs)?;
        let data = Arc::new(data);
        let jobs = Jobs::start(Trainer {
            data: Arc::clone(&data),
            device: options.device.clone(),
            device_name: options.device_name.clone(),
        });
        Ok(Self {
            runs,
            jobs,
            data,
            data_dir: options.data_dir,
            device: options.device,
            limits: options.limits,
            trained: Mutex::new(HashMap::new()),
            served: Mutex::new(HashMap::new()),
        })
    }

    /// `GET /api/runs`.
    pub fn list(&self) -> RunList {
        let mut runs = self
            .runs
            .ids()
            .into_iter()
            .filter_map(|id| self.info(&id).ok())
            .collect::<Vec<_>>();
        comparison::name_experiments(&mut runs);
        RunList { runs }
    }

    fn info(&self, id: &str) -> Result<RunInfo, ApiError> {
        self.runs.info(id, self.jobs.state_of(id))
    }

    /// Runs `ids`, in that order, as `GET /api/runs` lists them: their
    /// experiments named among every run, as the page's legend names them.
    fn listed(&self, ids: &[&str]) -> Result<Vec<RunInfo>, ApiError> {
        let all = self.list().runs;
        ids.iter()
            .map(|&id| match all.iter().find(|run| run.id == id) {
                Some(run) => Ok(run.clone()),
                // Its own error: not there, or not readable.
                None => self.info(id),
            })
            .collect()
    }

    /// Run `id` as `GET /api/runs` lists it.
    fn listed_one(&self, id: &str) -> Result<RunInfo, ApiError> {
        Ok(self.listed(&[id])?.remove(0))
    }

    /// `POST /api/runs`: one run per seed, queued.
    pub(crate) fn start(&self, request: StartRequest) -> Result<RunList, ApiError> {
        let architecture: Architecture = request.spec.parse().map_err(spec_error)?;
        let recipe = match &request.recipe {
            None => Recipe::Tutorial,
            Some(name) => name
                .parse()
                .map_err(|e: Error| ApiError::bad_request(e.to_string()))?,
        };
        let limits = &self.limits;
        if request.seeds.is_empty() || request.seeds.len() > limits.seeds {
            return Err(ApiError::bad_request(format!(
                "seeds: 1 to {} of them, not {}",
                limits.seeds,
                request.seeds.len()
            )));
        }
        let mut config = recipe.config(architecture.clone());
        let epochs = request.epochs.unwrap_or(config.epochs);
        if epochs == 0 || epochs > limits.epochs {
            return Err(ApiError::bad_request(format!(
                "epochs: 1 to {}, not {epochs}",
                limits.epochs
            )));
        }
        let images = self.data.train.len();
        if let Some(limit) = request.limit
            && (limit == 0 || limit > images)
        {
            return Err(ApiError::bad_request(format!(
                "limit: 1 to {images} training images, not {limit}"
            )));
        }
        if self.jobs.len() + request.seeds.len() > limits.queue {
            return Err(ApiError::busy(format!(
                "{} runs are queued or training; at most {} are",
                self.jobs.len(),
                limits.queue
            )));
        }
        // Weights and safetensors, three checkpoints of weights and Adam's two
        // moments: 11 copies of the parameters per run.
        let per_run = architecture.num_params() as u64 * 4 * 11;
        let needed = per_run * request.seeds.len() as u64;
        let used = self.runs.disk_use();
        if used + needed > limits.disk_bytes {
            return Err(ApiError::new(
                507,
                format!(
                    "the runs directory holds {} MB; these runs would take it past its limit of {} MB \
                     (delete some runs)",
                    used >> 20,
                    limits.disk_bytes >> 20
                ),
            ));
        }
        config.epochs = epochs;
        config.limit_train = request.limit;
        let mut started = Vec::new();
        for &seed in &request.seeds {
            let queued = match self.runs.create(&architecture, seed) {
                Ok((id, dir)) => self
                    .queue_new(&id, &dir, config.clone().with_seed(seed))
                    .map(|()| id)
                    // Not left behind half-made (listed as interrupted for good).
                    .inspect_err(|_| drop(std::fs::remove_dir_all(&dir))),
                Err(e) => Err(ApiError::new(500, e.full_message())),
            };
            match queued {
                Ok(id) => started.push(id),
                Err(mut error) if !started.is_empty() => {
                    // Those queued stay queued: asking again would queue them twice.
                    error.retry_after = None;
                    error.message += &format!(
                        " ({} queued before it: {})",
                        started.len(),
                        started.join(", ")
                    );
                    return Err(error);
                }
                Err(error) => return Err(error),
            }
        }
        let started: Vec<&str> = started.iter().map(String::as_str).collect();
        Ok(RunList {
            runs: self.listed(&started)?,
        })
    }

    /// Queues the new run `id` in `dir`, trained as `config` says.
    fn queue_new(&self, id: &str, dir: &Path, config: TrainConfig) -> Result<(), ApiError> {
        crate::atomic_file::write_atomic(&dir.join("config.json"), config.to_string().as_bytes())
            .map_err(|e| ApiError::new(500, e.full_message()))?;
        let start = Start::Fresh {
            config: Box::new(config),
            options: self.run_options(dir),
        };
        self.enqueue(id, dir.to_path_buf(), start)
    }

    /// `POST /api/runs/{id}/stop`.
    pub(crate) fn stop(&self, id: &str) -> Result<RunInfo, ApiError> {
        self.runs.dir(id)?;
        let stopped = self
            .jobs
            .stop(id)
            .map_err(|e| ApiError::new(500, e.full_message()))?;
        if !stopped {
            return Err(ApiError::new(
                409,
                format!("run `{id}` is not queued or training"),
            ));
        }
        self.listed_one(id)
    }

    /// How the lab carries out a run in `dir`: checkpoints there every 250 steps
    /// (a stop loses little), the loss read every 10 steps (the live curve), and
    /// the data's directory recorded.
    fn run_options(&self, dir: &Path) -> RunOptions {
        RunOptions::new()
            .with_output_dir(Some(dir.to_path_buf()))
            .with_checkpoint_every(250)
            .with_log_every(10)
            .with_data_dir(Some(self.data_dir.clone()))
    }

    /// `POST /api/runs/{id}/resume`: from its newest checkpoint (or from the
    /// start, when it stopped before its first).
    pub(crate) fn resume(&self, id: &str) -> Result<RunInfo, ApiError> {
        let dir = self.runs.dir(id)?;
        let info = self.info(id)?;
        if matches!(
            info.state,
            RunState::Queued | RunState::Running | RunState::Done
        ) {
            return Err(ApiError::new(
                409,
                format!("run `{id}` is {:?}: nothing to resume", info.state).to_lowercase(),
            ));
        }
        let start = if crate::train::Checkpoint::find(&dir).is_ok() {
            Start::Resume
        } else {
            let config = run_config(&dir).map_err(|e| ApiError::new(500, e.full_message()))?;
            Start::Fresh {
                config: Box::new(config),
                options: self.run_options(&dir),
            }
        };
        self.forget(id);
        self.enqueue(id, dir, start)?;
        self.listed_one(id)
    }

    fn enqueue(&self, id: &str, dir: PathBuf, start: Start) -> Result<(), ApiError> {
        self.jobs
            .enqueue(id.to_string(), dir, start, self.limits.queue)
            .map_err(|refused| match refused {
                Refused::Active => ApiError::new(409, format!("run `{id}` is queued or training")),
                Refused::Full => ApiError::busy(format!(
                    "{} runs are queued or training: the most there may be",
                    self.limits.queue
                )),
                Refused::Record(e) => ApiError::new(500, e.full_message()),
            })
    }

    /// `DELETE /api/runs/{id}`: a run that is not queued or training.
    pub(crate) fn delete(&self, id: &str) -> Result<(), ApiError> {
        let dir = self.runs.dir(id)?;
        self.forget(id);
        self.jobs
            .while_idle(id, || std::fs::remove_dir_all(&dir))
            .ok_or_else(|| {
                ApiError::new(
                    409,
                    format!("run `{id}` is queued or training: stop it first"),
                )
            })?
            .map_err(|e| ApiError::new(500, format!("{}: {e}", dir.display())))
    }

    fn forget(&self, id: &str) {
        self.trained
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        self.served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The events of run `id` so far and, while it has a job, a receiver of the
    /// rest. A run with no job since the server started replays its history
    /// and how it ended.
    pub(crate) fn events(&self, id: &str) -> Result<EventStreams, ApiError> {
        let dir = self.runs.dir(id)?;
        if let Some(channel) = self.jobs.channel(id) {
            let (kept, live) = channel.subscribe();
            let ended = kept.last().is_some_and(|e| e.ends_run());
            return Ok((kept, (!ended).then_some(live)));
        }
        let info = self.info(id)?;
        let history: Option<History> = crate::read_limit::read_at_most(
            &dir.join("history.json"),
            crate::read_limit::MAX_JSON_BYTES,
            "a run's history",
        )
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
        let mut events: Vec<Arc<RunEvent>> = history
            .map(|h| h.epochs)
            .unwrap_or_default()
            .into_iter()
            .map(|record| Arc::new(RunEvent::Epoch(record)))
            .collect();
        events.push(Arc::new(match info.state {
            RunState::Done => RunEvent::Done {
                test_accuracy: info.test_accuracy.unwrap_or(0.0),
            },
            RunState::Failed => RunEvent::Failed {
                error: info.error.unwrap_or_default(),
            },
            _ => RunEvent::Stopped,
        }));
        Ok((events, None))
    }

    /// A run's weights: its final ones, or its newest checkpoint's (a run
    /// stopped, or still training).
    fn weights(&self, id: &str) -> Result<PathBuf, ApiError> {
        let dir = self.runs.dir(id)?;
        if dir.join("model.bpk").is_file() {
            return Ok(dir.join("model.bpk"));
        }
        let checkpoint = crate::train::Checkpoint::find(&dir)
            .map_err(|_| ApiError::new(409, format!("run `{id}` has no weights yet")))?;
        Ok(checkpoint.dir.join("model.bpk"))
    }

    /// Run `id` as a column of the explorer: loaded once, again when its
    /// weights change.
    pub(super) fn served(&self, id: &str) -> Result<Arc<Served>, ApiError> {
        let weights = self.weights(id)?;
        let modified = std::fs::metadata(&weights).and_then(|m| m.modified()).ok();
        let cache = || self.served.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((when, served)) = cache().get(id)
            && *when == modified
        {
            return Ok(Arc::clone(served));
        }
        // Loaded without the cache held: other runs' columns need not wait.
        // A checkpoint's weights have its config.json beside them.
        let saved = SavedModel::load(&weights, None, &self.device)
            .map_err(|e| ApiError::new(422, e.full_message()))?;
        let served = Arc::new(Served::new(NamedModel::new(id, saved)));
        cache().insert(id.to_string(), (modified, Arc::clone(&served)));
        Ok(served)
    }

    /// `GET /api/runs/{id}/model.safetensors`.
    pub(crate) fn model_file(&self, id: &str) -> Result<Vec<u8>, ApiError> {
        let dir = self.runs.dir(id)?;
        let path = dir.join("model.safetensors");
        if !path.is_file() {
            return Err(ApiError::new(409, format!("run `{id}` is not done")));
        }
        let config = run_config(&dir).map_err(|e| ApiError::new(500, e.full_message()))?;
        let limit = crate::model::max_weights_bytes(&config.model.architecture, 1);
        crate::read_limit::read_at_most(&path, limit, "a weights file of its architecture")
            .map_err(|e| ApiError::new(500, e.full_message()))
    }

    /// `GET /api/runs/{id}/pytorch.py`: the script, naming its run.
    pub(crate) fn pytorch_script(&self, id: &str) -> Result<String, ApiError> {
        let info = self.info(id)?;
        let body = PYTORCH_SCRIPT
            .strip_prefix("#!/usr/bin/env python3\n")
            .unwrap_or(PYTORCH_SCRIPT);
        Ok(format!(
            "#!/usr/bin/env python3\n# Exported from the lenet lab: run {} (seed {}), the network\n# {}\n{body}",
            info.id, info.seed, info.spec
        ))
    }

    /// `GET /api/compare?runs=…`: the runs grouped into experiments (one
    /// spec trained one way, seeds as repeats), compared with
    /// `lenet::compare`'s statistics.
    pub(crate) fn compare(&self, ids: &[String]) -> Result<CompareAnswer, ApiError> {
        if ids.len() < 2 || ids.len() > 64 {
            return Err(ApiError::bad_request(format!(
                "compare 2 to 64 runs, not {}",
                ids.len()
            )));
        }
        if let Some(twice) = ids
            .iter()
            .enumerate()
            .find(|&(i, id)| ids[..i].contains(id))
        {
            return Err(ApiError::bad_request(format!(
                "run `{}` is listed twice: each run is one seed",
                twice.1
            )));
        }
        let runs = ids
            .iter()
            .map(|id| self.trained(id))
            .collect::<Result<Vec<_>, ApiError>>()?;
        // Named as the page's legend names them, among every run.
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let runs = self.listed(&ids)?.into_iter().zip(runs).collect();
        comparison::compare(runs, self.data.test.labels())
    }

    /// Run `id`'s class for every image of `test`: a finished run's from its
    /// evaluation (computed once), any other's from its newest weights.
    pub(crate) fn predictions(
        &self,
        id: &str,
        test: &crate::data::MnistSplit,
    ) -> Result<Vec<u8>, ApiError> {
        if self.info(id)?.state == RunState::Done {
            return Ok(self.trained(id)?.evaluation.predictions.clone());
        }
        let served = self.served(id)?;
        let saved = &served.named.saved;
        let batch = saved
            .model
            .architecture()
            .batch_within(crate::explain::DEFAULT_MEMORY);
        Ok(crate::evaluate(&saved.model, test, saved.normalization, batch).predictions)
    }

    /// Run `id`, done, with its evaluation on the test images (computed once).
    fn trained(&self, id: &str) -> Result<Arc<Trained>, ApiError> {
        if let Some(t) = self
            .trained
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
        {
            return Ok(Arc::clone(t));
        }
        let dir = self.runs.dir(id)?;
        let info = self.info(id)?;
        if info.state != RunState::Done {
            return Err(ApiError::new(409, format!("run `{id}` is not done")));
        }
        let trained = Trained::load(&dir, &self.data.test, &self.device)
            .map_err(|e| ApiError::new(422, e.full_message()))?;
        let trained = Arc::new(trained);
        self.trained
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), Arc::clone(&trained));
        Ok(trained)
    }
}

/// `GET /api/spec`'s answer: a spec checked and counted.
#[derive(Debug, Clone, Serialize)]
pub struct SpecAnswer {
    /// The canonical spec (a name written out: `lenet5` → its layers).
    pub spec: String,
    /// Its name (`lenet5`, or the spec).
    pub name: String,
    /// Parameters.
    pub params: usize,
    /// Multiply-adds per image.
    pub mult_adds: u64,
    /// Every layer of its walk.
    pub layers: Vec<SpecLayer>,
}

/// One layer in [`SpecAnswer`].
#[derive(Debug, Clone, Serialize)]
pub struct SpecLayer {
    /// `conv1`, `relu1`, …
    pub name: String,
    /// What it does.
    pub kind: crate::LayerKind,
    /// Its output per image.
    pub output_shape: Vec<usize>,
    /// Its parameters.
    pub params: usize,
    /// The input pixels one output value sees (`null` from the flatten on).
    pub receptive_field: Option<crate::ReceptiveField>,
}

/// `GET /api/spec?spec=…`.
pub(crate) fn check_spec(spec: &str) -> Result<SpecAnswer, ApiError> {
    let architecture: Architecture = spec.parse().map_err(spec_error)?;
    Ok(SpecAnswer {
        spec: architecture.spec(),
        name: architecture.name().to_string(),
        params: architecture.num_params(),
        mult_adds: architecture.mult_adds(),
        layers: architecture
            .plan()
            .into_iter()
            .map(|layer| SpecLayer {
                name: layer.name.to_string(),
                kind: layer.name.kind,
                output_shape: layer.output_shape.clone(),
                params: layer.params,
                receptive_field: layer.receptive_field,
            })
            .collect(),
    })
}

/// A spec that is not a network, as `{"error", "position", "token"}`.
fn spec_error(error: Error) -> ApiError {
    let (position, token) = match &error {
        Error::InvalidSpec {
            position, token, ..
        } => (*position, token.clone()),
        Error::UnknownArchitecture { name, .. } => (1, name.clone()),
        _ => (1, String::new()),
    };
    ApiError::bad_request(error.to_string()).with_detail(serde_json::json!({
        "position": position,
        "token": token,
    }))
}

/// The default runs directory: a per-user data directory.
pub fn default_runs_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("lenet/runs")
}
