//! LeNet in burn-train's `Learner` (feature `learner`): the training and
//! inference steps its supervised training calls, so Burn's own loop — its
//! metrics, progress, checkpointing, early stopping and multi-device strategies —
//! trains any architecture of this crate. docs/SCALING.md shows it on several
//! devices.
//!
//! The step is plain mean cross-entropy of the logits (PyTorch's
//! `CrossEntropyLoss`): a `TrainConfig`'s label smoothing, augmentation and
//! learning-rate schedule are this crate's own loop's, not applied here (the
//! `train_with_learner` example trains the tutorial recipe, which has none). It
//! takes `MnistBatch`es from [`MnistBatcher`](crate::data::MnistBatcher), which
//! already implements Burn's `Batcher` for the splits' items.
//!
//! The whole run, and several GPUs: `examples/train_with_learner.rs`, docs/SCALING.md.

use burn::nn::loss::CrossEntropyLossConfig;
use burn_train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};

use crate::data::MnistBatch;
use crate::model::LeNet;

impl LeNet {
    /// The logits of a batch with their mean cross-entropy, as burn-train's
    /// classification metrics (accuracy, loss, top-k, confusion) take them.
    ///
    /// ```
    /// use lenet::data::MnistBatch;
    /// use lenet::{Architecture, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    /// let batch = MnistBatch::from_values(vec![0.5; 2 * 784], vec![3, 7], &device);
    /// let output = model.forward_classification(batch);
    /// assert_eq!(output.output.dims(), [2, 10]);
    /// assert!(output.loss.into_scalar::<f32>() > 0.0);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    ///
    /// # Shapes
    /// - `batch.images`: `[N, 1, 28, 28]`, `batch.targets`: `[N]`
    /// - output: `loss` `[1]`, `output` `[N, classes]`, `targets` `[N]`
    pub fn forward_classification(&self, batch: MnistBatch) -> ClassificationOutput {
        let output = self.forward(batch.images);
        let loss = CrossEntropyLossConfig::new()
            .init(&output.device())
            .forward(output.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, output, batch.targets)
    }
}

impl TrainStep for LeNet {
    type Input = MnistBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: MnistBatch) -> TrainOutput<ClassificationOutput> {
        let item = self.forward_classification(batch);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for LeNet {
    type Input = MnistBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: MnistBatch) -> ClassificationOutput {
        self.forward_classification(batch)
    }
}
