//! Training: the recipe and the run's options, the loop, checkpoints and resumption, the
//! per-epoch history and the progress observer.

mod allocator;
mod augment;
mod checkpoint;
mod config;
mod history;
#[cfg(feature = "learner")]
mod learner;
mod observer;
mod options;
mod step;
mod trainer;
mod writing;

pub use allocator::{allocator_tuned, tune_allocator};
pub use checkpoint::Checkpoint;
pub use config::{Augmentation, LrSchedule, Recipe, TrainConfig};
pub use history::{EpochRecord, History};
pub use observer::{Silent, StepReport, TrainObserver};
pub use options::RunOptions;
pub use step::{PendingStep, StepOutcome, Stepper};
pub use trainer::{RunMetrics, Trained, resume, train};
