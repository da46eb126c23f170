//! `GET /api/compare`: finished runs grouped into experiments — one spec trained
//! one way, its seeds as repeats — and compared with `lenet::compare`'s
//! statistics. Runs of one spec with other settings (another recipe, more
//! epochs, fewer images) are other experiments: comparing them is the question
//! "does the improved recipe, or training longer, do better?".

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::Serialize;

use super::super::api::ApiError;
use super::RunInfo;
use crate::compare::{CompareRun, Comparison, ModelResults, PairComparison};
use crate::train::{TrainConfig, Trained};
use crate::{Architecture, Summary};

/// One experiment's runs in `GET /api/compare`.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedModel {
    /// How the table and the pairs name it: its spec, followed by its recipe,
    /// epochs and training images where another experiment in the runs
    /// directory has the same spec (as `GET /api/runs` names it).
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
    /// As its runs are listed (`RunInfo::experiment_name`).
    name: String,
    runs: Vec<(String, Arc<Trained>)>,
}

/// `items` grouped by their runs' [`RunInfo::experiment`], in the order first
/// met: the one grouping behind the runs' names and the comparison's rows.
fn by_experiment<T>(
    items: impl IntoIterator<Item = T>,
    info: impl Fn(&T) -> &RunInfo,
) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = Vec::new();
    for item in items {
        let key = &info(&item).experiment;
        match groups.iter().position(|g| &info(&g[0]).experiment == key) {
            Some(at) => groups[at].push(item),
            None => groups.push(vec![item]),
        }
    }
    groups
}

/// Equal for runs trained alike but for their seed, different otherwise: a
/// digest of every other setting (`RunInfo::experiment`, what the page's
/// curves group by).
pub(super) fn experiment_key(config: &TrainConfig) -> String {
    let mut hasher = DefaultHasher::new();
    config.clone().with_seed(0).to_string().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

impl Experiment {
    fn config(&self) -> &TrainConfig {
        &self.runs[0].1.config
    }

    fn architecture(&self) -> &Architecture {
        &self.config().model.architecture
    }
}

/// `runs` (each as `GET /api/runs` lists it, named among every run there, and
/// finished) grouped into experiments by [`RunInfo::experiment`], named as
/// listed, and compared on the test images whose labels are `test_labels`.
pub(super) fn compare(
    runs: Vec<(RunInfo, Arc<Trained>)>,
    test_labels: &[u8],
) -> Result<CompareAnswer, ApiError> {
    let experiments: Vec<Experiment> = by_experiment(runs, |(info, _)| info)
        .into_iter()
        .map(|group| Experiment {
            name: group[0].0.experiment_name.clone(),
            runs: group.into_iter().map(|(info, t)| (info.id, t)).collect(),
        })
        .collect();
    if experiments.len() < 2 {
        return Err(ApiError::bad_request(
            "these runs are seeds of one spec trained one way: pick runs of another spec, \
             or of the same spec with another recipe, epochs or images",
        ));
    }
    let comparison = Comparison {
        models: experiments
            .iter()
            .map(|experiment| {
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
                    name: experiment.name.clone(),
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

/// What an experiment's name is made of.
#[derive(Debug, Clone, Copy)]
struct Naming<'a> {
    spec: &'a str,
    recipe: &'a str,
    epochs: usize,
    limit: Option<usize>,
    first_run: &'a str,
}

/// Names the experiments of `runs` (`RunInfo::experiment_name`), among
/// these runs: the one rule for the page's legend and [`compare`]'s table.
pub(super) fn name_experiments(runs: &mut [RunInfo]) {
    let groups = by_experiment(runs.iter().enumerate(), |(_, run)| *run);
    let named = names(
        &groups
            .iter()
            .map(|group| {
                let run = group[0].1;
                Naming {
                    spec: &run.spec,
                    recipe: &run.recipe,
                    epochs: run.epochs,
                    limit: run.limit,
                    first_run: &run.id,
                }
            })
            .collect::<Vec<_>>(),
    );
    let groups: Vec<Vec<usize>> = groups
        .into_iter()
        .map(|group| group.into_iter().map(|(i, _)| i).collect())
        .collect();
    for (group, name) in groups.iter().zip(named) {
        for &i in group {
            runs[i].experiment_name = name.clone();
        }
    }
}

/// Each experiment's name: its spec, and where another has the same spec its
/// recipe, epochs and training images too; where those are the same as well
/// (settings changed in a `config.json`), its first run's id.
fn names(experiments: &[Naming<'_>]) -> Vec<String> {
    let named: Vec<String> = experiments
        .iter()
        .map(|e| {
            let shared = experiments.iter().filter(|o| o.spec == e.spec).count() > 1;
            if !shared {
                return e.spec.to_string();
            }
            let epochs = match e.epochs {
                1 => "1 epoch".to_string(),
                n => format!("{n} epochs"),
            };
            let images = e
                .limit
                .map(|n| format!(", first {n} images"))
                .unwrap_or_default();
            format!("{} ({}, {epochs}{images})", e.spec, e.recipe)
        })
        .collect();
    named
        .iter()
        .zip(experiments)
        .map(|(name, e)| {
            if named.iter().filter(|n| *n == name).count() > 1 {
                format!("{name} [{}]", e.first_run)
            } else {
                name.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Recipe;

    fn named(experiments: &[(&TrainConfig, &str)]) -> Vec<String> {
        names(
            &experiments
                .iter()
                .map(|&(config, first_run)| Naming {
                    spec: config.model.architecture.name(),
                    recipe: config.recipe.name(),
                    epochs: config.epochs,
                    limit: config.limit_train,
                    first_run,
                })
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn experiments_are_named_by_what_tells_them_apart() {
        let lenet5 = Recipe::Tutorial.config(Architecture::LENET5);
        let improved = Recipe::Improved.config(Architecture::LENET5);
        let longer = lenet5.clone().with_epochs(20);
        let fewer = lenet5.clone().with_limit_train(Some(500));
        let other = Recipe::Tutorial.config(Architecture::EXTRA_CONV);
        let relabelled = lenet5.clone().with_learning_rate(5e-4);
        assert_eq!(
            named(&[(&lenet5, "a"), (&other, "b")]),
            ["lenet5", "extra-conv"]
        );
        assert_eq!(
            named(&[
                (&lenet5, "a"),
                (&improved, "b"),
                (&longer, "c"),
                (&fewer, "d"),
                (&other, "e"),
            ]),
            [
                "lenet5 (tutorial, 10 epochs)",
                "lenet5 (improved, 20 epochs)",
                "lenet5 (tutorial, 20 epochs)",
                "lenet5 (tutorial, 10 epochs, first 500 images)",
                "extra-conv",
            ]
        );
        // Alike in all the name says: told apart by their first runs.
        assert_eq!(
            named(&[(&lenet5, "a"), (&relabelled, "b")]),
            [
                "lenet5 (tutorial, 10 epochs) [a]",
                "lenet5 (tutorial, 10 epochs) [b]"
            ]
        );
    }

    #[test]
    fn the_experiment_key_ignores_the_seed_and_nothing_else() {
        let config = Recipe::Tutorial.config(Architecture::LENET5);
        let key = experiment_key(&config);
        assert_eq!(experiment_key(&config.clone().with_seed(7)), key);
        for changed in [
            config.clone().with_epochs(2),
            config.clone().with_learning_rate(5e-4),
            config.clone().with_limit_train(Some(100)),
            Recipe::Improved
                .config(Architecture::LENET5)
                .with_epochs(10),
        ] {
            assert_ne!(experiment_key(&changed), key);
        }
    }
}
