//! `GET /api/compare`: finished runs grouped into experiments — one spec trained
//! one way, its seeds as repeats — and compared with `lenet::compare`'s
//! statistics. Runs of one spec with other settings (another recipe, more
//! epochs, fewer images) are other experiments: comparing them is the question
//! "does the improved recipe, or training longer, do better?".

use std::sync::Arc;

use serde::Serialize;

use super::super::api::ApiError;
use crate::compare::{CompareRun, Comparison, ModelResults, PairComparison};
use crate::train::{TrainConfig, Trained};
use crate::{Architecture, Summary};

/// One experiment's runs in `GET /api/compare`.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedModel {
    /// How the table and the pairs name it: its spec, followed by its recipe,
    /// epochs and training images where another experiment has the same spec.
    pub name: String,
    /// The architecture's name (`lenet5`) or spec.
    pub spec: String,
    /// The recipe its runs started from.
    pub recipe: String,
    /// Epochs each run trained for.
    pub epochs: usize,
    /// Training images used (`None`: all of them).
    pub limit: Option<usize>,
    /// Its runs' ids.
    pub runs: Vec<String>,
    /// Their seeds.
    pub seeds: Vec<u64>,
    /// Their test accuracies.
    pub accuracies: Vec<f64>,
    /// Mean test accuracy.
    pub mean: f64,
    /// Its sample standard deviation (0 for one run).
    pub sd: f64,
    /// Parameters.
    pub params: usize,
    /// Multiply-adds per image.
    pub mult_adds: u64,
    /// On the front of accuracy against parameters.
    pub pareto: bool,
}

/// A pair in `GET /api/compare`: `lenet::compare`'s verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedPair {
    /// The statistics (difference, CI, p-value, test), `a` and `b` by name.
    #[serde(flatten)]
    pub pair: PairComparison,
    /// The difference in words, at 5%.
    pub verdict: String,
}

/// What `GET /api/compare` returns.
#[derive(Debug, Clone, Serialize)]
pub struct CompareAnswer {
    /// One entry per experiment, seeds as repeats, in the order first ticked.
    pub models: Vec<ComparedModel>,
    /// Every pair of experiments.
    pub pairs: Vec<ComparedPair>,
}

/// Runs trained alike but for their seed.
struct Experiment {
    /// Every setting but the seed.
    settings: String,
    runs: Vec<(String, Arc<Trained>)>,
}

impl Experiment {
    fn config(&self) -> &TrainConfig {
        &self.runs[0].1.config
    }

    fn architecture(&self) -> &Architecture {
        &self.config().model.architecture
    }
}

/// `runs` (id, finished run) grouped into experiments and compared on the
/// test images whose labels are `test_labels`.
pub(super) fn compare(
    runs: Vec<(String, Arc<Trained>)>,
    test_labels: &[u8],
) -> Result<CompareAnswer, ApiError> {
    let mut experiments: Vec<Experiment> = Vec::new();
    for (id, trained) in runs {
        let settings = trained.config.clone().with_seed(0).to_string();
        match experiments.iter_mut().find(|e| e.settings == settings) {
            Some(experiment) => experiment.runs.push((id, trained)),
            None => experiments.push(Experiment {
                settings,
                runs: vec![(id, trained)],
            }),
        }
    }
    if experiments.len() < 2 {
        return Err(ApiError::bad_request(
            "these runs are seeds of one spec trained one way: pick runs of another spec, \
             or of the same spec with another recipe, epochs or images",
        ));
    }
    let names = names(&experiments);
    let comparison = Comparison {
        models: experiments
            .iter()
            .zip(&names)
            .map(|(experiment, name)| {
                let architecture = experiment.architecture().clone();
                let summary = Summary::of_architecture(&architecture, 1);
                let runs = experiment
                    .runs
                    .iter()
                    .map(|(_, t)| CompareRun {
                        trained: (**t).clone(),
                    })
                    .collect();
                ModelResults {
                    name: name.clone(),
                    ..ModelResults::new(architecture, summary, runs)
                }
            })
            .collect(),
        test_labels: test_labels.to_vec(),
    };
    let models = comparison
        .rows()
        .into_iter()
        .zip(&experiments)
        .map(|(row, experiment)| {
            let config = experiment.config();
            ComparedModel {
                name: row.model,
                spec: experiment.architecture().name().to_string(),
                recipe: config.recipe.name().to_string(),
                epochs: config.epochs,
                limit: config.limit_train,
                runs: experiment.runs.iter().map(|(id, _)| id.clone()).collect(),
                seeds: row.seeds,
                accuracies: row.test_accuracies,
                mean: row.test_accuracy.mean,
                sd: row.test_accuracy.sd,
                params: row.params,
                mult_adds: row.mult_adds,
                pareto: row.pareto_params,
            }
        })
        .collect();
    let pairs = comparison
        .pairs()
        .into_iter()
        .map(|pair| ComparedPair {
            verdict: pair.verdict(),
            pair,
        })
        .collect();
    Ok(CompareAnswer { models, pairs })
}

/// Each experiment's name: its spec, and where another has the same spec its
/// recipe, epochs and training images too; where those are the same as well
/// (settings changed in a `config.json`), its first run's id.
fn names(experiments: &[Experiment]) -> Vec<String> {
    let spec_shared = |e: &Experiment| {
        experiments
            .iter()
            .filter(|o| o.architecture() == e.architecture())
            .count()
            > 1
    };
    let named: Vec<String> = experiments
        .iter()
        .map(|e| {
            let spec = e.architecture().name();
            if !spec_shared(e) {
                return spec.to_string();
            }
            let config = e.config();
            let epochs = match config.epochs {
                1 => "1 epoch".to_string(),
                n => format!("{n} epochs"),
            };
            let images = config
                .limit_train
                .map(|n| format!(", first {n} images"))
                .unwrap_or_default();
            format!("{spec} ({}, {epochs}{images})", config.recipe.name())
        })
        .collect();
    named
        .iter()
        .zip(experiments)
        .map(|(name, e)| {
            if named.iter().filter(|n| *n == name).count() > 1 {
                format!("{name} [{}]", e.runs[0].0)
            } else {
                name.clone()
            }
        })
        .collect()
}
