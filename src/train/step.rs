//! One optimisation step: forward, cross-entropy, backward, Adam. The training
//! loop is this step in a loop; benchmarks and custom loops call it directly.

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};

use crate::data::MnistBatch;
use crate::model::LeNet;

/// What one step saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// Mean cross-entropy of the batch, before the update.
    pub loss: f64,
    /// Images of the batch the model classified correctly, before the update.
    pub correct: u64,
    /// Whether the weights were updated (not when the loss is NaN or infinite).
    pub updated: bool,
}

/// A model on an autodiff device, its optimizer and its loss.
///
/// ```
/// use lenet::data::{MnistBatcher, MnistSplit, Normalization, Split};
/// use lenet::train::Stepper;
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?.autodiff();
/// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
/// let mut stepper = Stepper::adam(model, 1e-8);
/// let split = MnistSplit::from_raw(Split::Train, vec![0; 4 * 784], vec![1, 2, 3, 4])?;
/// let batch = MnistBatcher::new(Normalization::None).batch_from_split(&split, &[0, 1, 2, 3], &device);
/// let outcome = stepper.step(batch, 1e-3);
/// assert!(outcome.updated && outcome.loss > 0.0);
/// # Ok::<(), lenet::Error>(())
/// ```
pub struct Stepper {
    model: Option<LeNet>,
    optimizer: ModuleOptimizer,
    loss: CrossEntropyLoss,
}

impl Stepper {
    /// Wraps a model (on an autodiff device) and an optimizer.
    pub fn new(model: LeNet, optimizer: ModuleOptimizer) -> Self {
        let loss = CrossEntropyLossConfig::new().init(&model.device());
        Self {
            model: Some(model),
            optimizer,
            loss,
        }
    }

    /// Adam with PyTorch's betas and the given epsilon (PyTorch: 1e-8).
    pub fn adam(model: LeNet, epsilon: f32) -> Self {
        Self::new(model, AdamConfig::new().with_epsilon(epsilon).init())
    }

    /// Trains on `batch` with `learning_rate`. A non-finite loss leaves the weights
    /// untouched and is reported in the outcome.
    pub fn step(&mut self, batch: MnistBatch, learning_rate: f64) -> StepOutcome {
        let model = self
            .model
            .take()
            .expect("the model is present between steps");
        let logits = model.forward(batch.images);
        let loss = self.loss.forward(logits.clone(), batch.targets.clone());
        let loss_value = loss.clone().into_scalar::<f64>();
        let correct = logits
            .argmax(1)
            .flatten::<1>(0, 1)
            .equal(batch.targets)
            .int()
            .sum()
            .into_scalar::<i64>() as u64;
        if !loss_value.is_finite() {
            self.model = Some(model);
            return StepOutcome {
                loss: loss_value,
                correct,
                updated: false,
            };
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optimizer.step(learning_rate, model, grads));
        StepOutcome {
            loss: loss_value,
            correct,
            updated: true,
        }
    }

    /// The model as it is now.
    pub fn model(&self) -> &LeNet {
        self.model
            .as_ref()
            .expect("the model is present between steps")
    }

    /// The optimizer and its state.
    pub fn optimizer(&self) -> &ModuleOptimizer {
        &self.optimizer
    }

    /// The trained model.
    pub fn into_model(self) -> LeNet {
        self.model.expect("the model is present between steps")
    }
}
