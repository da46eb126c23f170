//! One optimisation step: forward, cross-entropy, backward, Adam. The training
//! loop is this step in a loop; benchmarks and custom loops call it directly.

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Int, Tensor, TensorData, Transaction};

use crate::data::MnistBatch;
use crate::model::LeNet;
use crate::worker::on_worker;

/// What one step saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// Mean loss of the batch (cross-entropy, smoothed with
    /// [`Stepper::with_label_smoothing`]), before the update.
    pub loss: f64,
    /// Images of the batch the model classified correctly, before the update.
    pub correct: u64,
    /// Whether the weights were updated (not when the loss is NaN or infinite).
    pub updated: bool,
}

/// What [`Stepper::step_deferred`] leaves on the device: read it when needed.
#[derive(Debug, Clone)]
pub struct PendingStep {
    /// `[1]`: mean loss of the batch (as [`StepOutcome::loss`]), before the update.
    pub loss: Tensor<1>,
    /// `[1]`: images of the batch the model classified correctly, before the update.
    pub correct: Tensor<1, Int>,
}

/// Reads one step's loss and count of correct images with one wait.
fn read_step(loss: Tensor<1>, correct: Tensor<1, Int>) -> [f64; 2] {
    let [loss, correct] = read_steps(loss, correct);
    [loss[0], correct[0]]
}

/// Reads the losses and counts of correct images of several steps (`[k]` each)
/// in one transaction: one wait for the device.
pub(crate) fn read_steps(losses: Tensor<1>, correct: Tensor<1, Int>) -> [Vec<f64>; 2] {
    let [losses, correct]: [TensorData; 2] = Transaction::default()
        .register(losses)
        .register(correct)
        .execute()
        .try_into()
        .expect("two tensors registered, two read");
    let floats = |data: TensorData| -> Vec<f64> {
        data.convert::<f64>()
            .try_into_vec::<f64>()
            .expect("converted to f64")
    };
    [floats(losses), floats(correct)]
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

    /// This stepper, training on labels smoothed by `smoothing` (ε): each
    /// image's target is 1 − ε + ε/classes on its class and ε/classes on every
    /// other (PyTorch's `CrossEntropyLoss(label_smoothing=ε)`); 0 is plain
    /// cross-entropy, exactly as [`new`](Self::new) makes it. The
    /// [`StepOutcome::loss`] is then the smoothed loss, the one minimised.
    ///
    /// ```
    /// use lenet::data::MnistBatch;
    /// use lenet::train::Stepper;
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?.autodiff();
    /// let model = LeNetConfig::new(Architecture::ONE_CONV).init_seeded(&device, 0);
    /// let batch = MnistBatch::from_values(vec![0.5; 2 * 784], vec![3, 7], &device);
    /// let plain = Stepper::adam(model.clone(), 1e-8).step(batch.clone(), 0.0);
    /// let smoothed = Stepper::adam(model, 1e-8).with_label_smoothing(0.1)?.step(batch, 0.0);
    /// assert_ne!(plain.loss, smoothed.loss);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a
    /// `smoothing` outside `[0, 1)`, as [`TrainConfig::validate`](super::TrainConfig::validate).
    pub fn with_label_smoothing(mut self, smoothing: f32) -> crate::Result<Self> {
        super::config::check_label_smoothing(smoothing)?;
        self.loss = CrossEntropyLossConfig::new()
            .with_smoothing((smoothing != 0.0).then_some(smoothing))
            .init(&self.model().device());
        Ok(self)
    }

    /// Adam with PyTorch's betas and the given epsilon (PyTorch: 1e-8).
    pub fn adam(model: LeNet, epsilon: f32) -> Self {
        Self::new(model, AdamConfig::new().with_epsilon(epsilon).init())
    }

    /// Trains on `batch` with `learning_rate` and reads the loss and the count
    /// of correct images back (one wait for the device). A non-finite loss leaves
    /// the weights untouched and is reported in the outcome.
    ///
    /// On a CPU device the step runs as one job on a thread of rayon's current
    /// pool while the caller waits (its parallel regions then start on an awake
    /// thread; the results are the same on any thread). So a thread's own state,
    /// a floating-point mode say, does not carry into the step, and a worker that
    /// waits inside this step may run another thread's step meanwhile.
    pub fn step(&mut self, batch: MnistBatch, learning_rate: f64) -> StepOutcome {
        let device = self.model().device();
        on_worker(&device, || self.step_here(batch, learning_rate))
    }

    fn step_here(&mut self, batch: MnistBatch, learning_rate: f64) -> StepOutcome {
        let model = self.take_model();
        let (loss, correct) = self.loss_and_correct(&model, batch);
        let [loss_value, correct_value] = read_step(loss.clone().inner(), correct);
        let updated = loss_value.is_finite();
        self.model = Some(if updated {
            self.update(model, loss, learning_rate)
        } else {
            model
        });
        StepOutcome {
            loss: loss_value,
            correct: correct_value as u64,
            updated,
        }
    }

    /// Trains on `batch` with `learning_rate` without waiting for the device:
    /// the loss and the count of correct images stay there, to be read later,
    /// many steps at once (the training loop reads them every `log_every`
    /// steps). The update is applied whatever the loss, so a caller that reads a
    /// non-finite one must stop: the weights are not finite any more either.
    /// Where it runs: as [`step`](Self::step).
    ///
    /// ```
    /// use lenet::data::{MnistBatcher, MnistSplit, Normalization, Split};
    /// use lenet::train::Stepper;
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?.autodiff();
    /// let model = LeNetConfig::new(Architecture::ONE_CONV).init_seeded(&device, 0);
    /// let mut stepper = Stepper::adam(model, 1e-8);
    /// let split = MnistSplit::from_raw(Split::Train, vec![0; 2 * 784], vec![1, 2])?;
    /// let batch = MnistBatcher::new(Normalization::None).batch_from_split(&split, &[0, 1], &device);
    /// let pending = stepper.step_deferred(batch, 1e-3);
    /// assert!(pending.correct.into_scalar::<i64>() <= 2);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn step_deferred(&mut self, batch: MnistBatch, learning_rate: f64) -> PendingStep {
        let device = self.model().device();
        on_worker(&device, || self.step_deferred_here(batch, learning_rate))
    }

    fn step_deferred_here(&mut self, batch: MnistBatch, learning_rate: f64) -> PendingStep {
        let model = self.take_model();
        let (loss, correct) = self.loss_and_correct(&model, batch);
        let pending = PendingStep {
            loss: loss.clone().inner(),
            correct,
        };
        self.model = Some(self.update(model, loss, learning_rate));
        pending
    }

    fn take_model(&mut self) -> LeNet {
        self.model
            .take()
            .expect("the model is present between steps")
    }

    /// The batch's mean loss (with its graph) and the count of images
    /// the model classifies correctly (`[1]`, without autodiff).
    fn loss_and_correct(&self, model: &LeNet, batch: MnistBatch) -> (Tensor<1>, Tensor<1, Int>) {
        let logits = model.forward(batch.images);
        let loss = self.loss.forward(logits.clone(), batch.targets.clone());
        let correct = logits
            .inner()
            .argmax(1)
            .flatten::<1>(0, 1)
            .equal(batch.targets.inner())
            .int()
            .sum();
        (loss, correct)
    }

    fn update(&mut self, model: LeNet, loss: Tensor<1>, learning_rate: f64) -> LeNet {
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.optimizer.step(learning_rate, model, grads)
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
