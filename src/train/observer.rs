//! How a training run tells the outside world what it is doing. The library
//! never prints; a command line plugs in a progress bar, a GUI a channel.

use std::path::Path;

use super::history::EpochRecord;

/// Where the run is, handed to [`TrainObserver::on_step`] after every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Total epochs of the run.
    pub epochs: usize,
    /// 1-based step within the epoch.
    pub step_in_epoch: usize,
    /// Steps in one epoch.
    pub steps_per_epoch: usize,
    /// 1-based step counted over the whole run.
    pub global_step: usize,
    /// This step's training loss, where it was read back from the device: on
    /// log steps and at the end of each epoch. (The loop reads the device only
    /// there, so that steps in between do not wait for it; the epoch's mean loss
    /// and accuracy still count every step.)
    pub loss: Option<f64>,
    /// The learning rate used for this step.
    pub learning_rate: f64,
    /// True every `log_every` steps (where the tutorial prints a line); the
    /// loss is always there on these.
    pub is_log_step: bool,
}

/// Receives progress from [`train`](super::train); every method has a default
/// that does nothing, so implement only what you need.
///
/// ```
/// use lenet::train::{StepReport, TrainObserver};
///
/// /// Collects the logged losses.
/// struct Losses(Vec<f64>);
///
/// impl TrainObserver for Losses {
///     fn on_step(&mut self, step: &StepReport) {
///         if let (true, Some(loss)) = (step.is_log_step, step.loss) {
///             self.0.push(loss);
///         }
///     }
/// }
/// ```
pub trait TrainObserver {
    /// Training starts (or resumes) at 1-based `first_global_step` of `total_steps`.
    fn on_start(&mut self, _first_global_step: usize, _total_steps: usize) {}
    /// One optimisation step is done.
    fn on_step(&mut self, _step: &StepReport) {}
    /// An epoch is done and evaluated.
    fn on_epoch_end(&mut self, _record: &EpochRecord) {}
    /// A checkpoint was written to `dir`.
    fn on_checkpoint(&mut self, _dir: &Path) {}
    /// Every how many steps [`on_probe`](Self::on_probe) wants to look at the
    /// model (`None`, the default: never).
    fn probe_every(&self) -> Option<usize> {
        None
    }
    /// The model as it is after `global_step` (without autodiff, on the
    /// training device), every [`probe_every`](Self::probe_every) steps: to
    /// watch what its layers do while it learns (feature maps, kernels).
    fn on_probe(&mut self, _global_step: usize, _model: &crate::LeNet) {}
    /// Asked after every step: return `true` to stop cleanly (a checkpoint is
    /// written first when the run has an output directory, and training ends
    /// with [`Error::Interrupted`](crate::Error::Interrupted)).
    fn should_stop(&mut self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl TrainObserver for Silent {}
