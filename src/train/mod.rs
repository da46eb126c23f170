//! Training: the configuration, the loop, checkpoints and resumption, the
//! per-epoch history and the progress observer.

mod allocator;
mod augment;
mod checkpoint;
mod config;
#[doc(hidden)]
pub mod fuzzing;
mod history;
#[cfg(feature = "learner")]
mod learner;
mod observer;
mod step;
mod trainer;

pub use allocator::{allocator_tuned, tune_allocator};
pub use checkpoint::checkpoint_config;
#[cfg(feature = "explore")]
pub(crate) use checkpoint::{completed_epochs, newest_checkpoint};
pub use config::{Augmentation, LrSchedule, Recipe, TrainConfig};
pub use history::{EpochRecord, History};
pub use observer::{Silent, StepReport, TrainObserver};
pub use step::{PendingStep, StepOutcome, Stepper};
pub use trainer::{RunMetrics, Trained, resume, train};
