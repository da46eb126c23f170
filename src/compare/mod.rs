//! The tutorial's question, answered properly: is a deeper LeNet better? Train
//! several architectures over several seeds with one recipe, then compare them on
//! the 10,000 test images — mean ± sd, per-class F1, where they disagree — and
//! draw it ([`report`](crate::compare::comparison_report)).

#[cfg(feature = "viz")]
mod charts;
mod disagreement;
#[cfg(feature = "report")]
mod report;
mod results;
mod significance;
mod sweep;

#[cfg(feature = "viz")]
pub use charts::disagreement_sheet;
pub use disagreement::{Disagreement, disagreements};
#[cfg(feature = "report")]
pub use report::{ReportExtras, comparison_report};
pub use results::{CompareRun, Comparison, ComparisonRow, MeanSd, ModelResults};
pub use significance::{PairComparison, SignificanceTest, mcnemar, welch};
pub use sweep::{BASE_CHANNELS, Sweep};

use burn::tensor::Device;

use crate::data::Mnist;
use crate::model::{Architecture, Summary};
use crate::train::{RunOptions, TrainConfig, TrainObserver, train};
use crate::{Error, Result};

/// What to compare: architectures × seeds, all trained with one recipe.
///
/// ```
/// use lenet::compare::CompareConfig;
/// use lenet::train::Recipe;
/// use lenet::Architecture;
///
/// let config = CompareConfig::new(
///     vec![Architecture::LENET5, Architecture::EXTRA_CONV],
///     3,
///     Recipe::Tutorial.config(Architecture::LENET5).with_epochs(10),
/// );
/// assert_eq!(config.seeds, vec![0, 1, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// The architectures, in the order tables list them.
    pub architectures: Vec<Architecture>,
    /// One training run per seed and architecture.
    pub seeds: Vec<u64>,
    /// The recipe; its architecture and seed are replaced for each run.
    pub train: TrainConfig,
}

impl CompareConfig {
    /// `seeds` runs (seeds 0, 1, …) of each architecture with `train`'s recipe.
    pub fn new(architectures: Vec<Architecture>, seeds: usize, train: TrainConfig) -> Self {
        Self {
            architectures,
            seeds: (0..seeds as u64).collect(),
            train,
        }
    }

    /// The training configuration of one run.
    pub fn run_config(&self, architecture: &Architecture, seed: u64) -> TrainConfig {
        let mut config = self.train.clone().with_seed(seed);
        config.model.architecture = architecture.clone();
        config
    }
}

/// Trains every (architecture, seed) of `config` on `device` and evaluates each on
/// the test set. `observer` is asked for a progress observer per run.
///
/// ```no_run
/// use lenet::compare::{compare, CompareConfig};
/// use lenet::data::Mnist;
/// use lenet::train::{Recipe, Silent, TrainObserver};
/// use lenet::Architecture;
///
/// let mnist = Mnist::load("data/mnist".as_ref())?;
/// let config = CompareConfig::new(
///     Architecture::NAMED.to_vec(),
///     3,
///     Recipe::Tutorial.config(Architecture::LENET5),
/// );
/// let device = lenet::device("auto")?;
/// let comparison = compare(&config, &mnist, &device, &mut |_, _| {
///     Box::new(Silent) as Box<dyn TrainObserver>
/// })?;
/// println!("{}", comparison.markdown());
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn compare(
    config: &CompareConfig,
    data: &Mnist,
    device: &Device,
    observer: &mut dyn FnMut(&Architecture, u64) -> Box<dyn TrainObserver>,
) -> Result<Comparison> {
    if config.architectures.is_empty() || config.seeds.is_empty() {
        return Err(Error::InvalidArgument(
            "a comparison needs at least one architecture and one seed".into(),
        ));
    }
    let mut models = Vec::new();
    for architecture in &config.architectures {
        let mut runs = Vec::new();
        for &seed in &config.seeds {
            let run_config = config.run_config(architecture, seed);
            let mut progress = observer(architecture, seed);
            // Its final evaluation already holds every test image's class.
            let trained = train(
                &run_config,
                &RunOptions::new(),
                data,
                device,
                progress.as_mut(),
            )?;
            runs.push(CompareRun { trained });
        }
        let summary = Summary::of(&runs[0].trained.model);
        models.push(ModelResults::new(architecture.clone(), summary, runs));
    }
    Ok(Comparison {
        models,
        test_labels: data.test.labels().to_vec(),
    })
}
