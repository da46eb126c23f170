//! The training loop: one step per batch, an evaluation per epoch, checkpoints
//! along the way, and exactly the same numbers when resumed.
//!
//! Batches come straight from the split's contiguous bytes in an order derived
//! from (seed, epoch), rather than from Burn's `DataLoader`: that makes the
//! position inside an epoch a pair of integers a checkpoint can store. Speed does
//! not decide it: a whole epoch of batches costs ≈ 37 ms either way, against ≈ 9 s
//! of training steps (docs/PERFORMANCE.md). On a GPU the splits are uploaded once
//! and each batch is gathered there ([`DeviceSplit`]), in the same order.
//!
//! The loop does not wait for the device at every step: each step's loss and
//! count of correct images stay there ([`Stepper::step_deferred`]) until the loop
//! reads all of them at once — every `log_every` steps, before a checkpoint and at
//! the end of an epoch. A GPU then runs ahead of the host between reads, and the
//! numbers are the same as when reading every step.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor};
use serde::Serialize;

use super::checkpoint::{self, Position};
use super::config::TrainConfig;
use super::history::{EpochRecord, History};
use super::observer::{StepReport, TrainObserver};
use super::options::{RUN_FILE, RunOptions};
use super::step::{PendingStep, Stepper, read_steps};
use crate::atomic_file::write_atomic;
use crate::data::{DeviceSplit, IMAGE_PIXELS, Mnist, MnistBatch, MnistBatcher, MnistSplit};
use crate::eval::{Evaluation, evaluate_batches, evaluate_flushing};
use crate::model::LeNet;
use crate::rng::Rng;
use crate::worker::on_pool_while;
use crate::{Error, Result};

/// The result of a training run.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The trained model (without autodiff), on the training device.
    pub model: LeNet,
    /// The recipe it was trained with.
    pub config: TrainConfig,
    /// How the run was carried out.
    pub options: RunOptions,
    /// One record per epoch.
    pub history: History,
    /// The final evaluation on the test set.
    pub evaluation: Evaluation,
}

/// The headline figures of a run, as written to `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunMetrics {
    /// Architecture name (`lenet5`, `extra-conv`).
    pub model: String,
    /// Recipe name.
    pub recipe: String,
    /// Device the run trained on.
    pub device: String,
    /// Seed of the run.
    pub seed: u64,
    /// Epochs trained.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Base learning rate.
    pub learning_rate: f64,
    /// Training images used per epoch.
    pub train_images: usize,
    /// Parameters of the model.
    pub params: usize,
    /// Accuracy on the 10,000 test images, 0..1.
    pub test_accuracy: f64,
    /// Mean cross-entropy on the test images.
    pub test_loss: f64,
    /// Seconds spent in training steps (evaluation excluded).
    pub train_seconds: f64,
    /// Training images per second over the run.
    pub train_samples_per_sec: f64,
    /// Test images per second in the last evaluation (inference without autodiff,
    /// batches of `eval_batch_size`; 0 when not measured).
    pub test_images_per_sec: f64,
}

impl Trained {
    /// The headline figures, labelled with the device name the caller used.
    pub fn metrics(&self, device: &str) -> RunMetrics {
        let train_images = self.train_images();
        let seconds = self.history.train_seconds();
        let epochs = self.history.epochs.len();
        RunMetrics {
            model: self.config.model.architecture.name().to_string(),
            recipe: self.config.recipe.name().to_string(),
            device: device.to_string(),
            seed: self.config.seed,
            epochs,
            batch_size: self.config.batch_size,
            learning_rate: self.config.learning_rate,
            train_images,
            params: self.model.num_params(),
            test_accuracy: self.evaluation.accuracy,
            test_loss: self.evaluation.loss,
            train_seconds: seconds,
            train_samples_per_sec: (train_images * epochs) as f64 / seconds.max(1e-9),
            test_images_per_sec: self
                .history
                .last()
                .filter(|e| e.eval_seconds > 0.0)
                .map_or(0.0, |e| self.evaluation.count as f64 / e.eval_seconds),
        }
    }

    fn train_images(&self) -> usize {
        self.history
            .epochs
            .first()
            .map(|e| (e.samples_per_sec * e.train_seconds).round() as usize)
            .unwrap_or(0)
    }

    /// A finished run as [`save`](Self::save) wrote it into `dir` (its model,
    /// config and history), evaluated again on `test` on `device` — so that its
    /// evaluation holds every test image's class, which the files leave out.
    ///
    /// ```no_run
    /// use lenet::data::{Mnist, Split};
    /// use lenet::train::Trained;
    ///
    /// let test = lenet::data::MnistSplit::load("data/mnist".as_ref(), Split::Test)?;
    /// let run = Trained::load("runs/lenet5".as_ref(), &test, &lenet::device("flex")?)?;
    /// println!("{:.2}%", 100.0 * run.evaluation.accuracy);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn load(dir: &Path, test: &MnistSplit, device: &Device) -> Result<Self> {
        let saved = crate::SavedModel::load(&dir.join("model.bpk"), None, device)?;
        let config = TrainConfig::from_file(&dir.join("config.json"))?;
        let options = RunOptions::saved_in(dir)?;
        let history_path = dir.join("history.json");
        let history: History = serde_json::from_slice(&crate::read_limit::read_at_most(
            &history_path,
            crate::read_limit::MAX_JSON_BYTES,
            "a run's history",
        )?)
        .map_err(|e| Error::Checkpoint {
            path: history_path.clone(),
            reason: crate::CheckpointProblem::Unreadable {
                what: "history",
                detail: e.to_string(),
            },
        })?;
        // Batches as the config says, but never more than the architecture's
        // layer outputs fit in 64 MiB (a config from elsewhere decides nothing).
        let batch = config.eval_batch_size.min(
            saved
                .architecture
                .batch_within(crate::explain::DEFAULT_MEMORY),
        );
        let evaluation = crate::evaluate(&saved.model, test, config.normalization, batch);
        Ok(Self {
            model: saved.model,
            config,
            options,
            history,
            evaluation,
        })
    }

    /// Writes `model.bpk`, `model.safetensors` (PyTorch's key names), `config.json`,
    /// `run.json` (the options, without `output_dir`), `history.json`, `history.csv`, `evaluation.json` and `metrics.json` into
    /// `dir`, each atomically.
    pub fn save(&self, dir: &Path, device: &str) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        self.model.save(&dir.join("model.bpk"))?;
        self.model
            .save_safetensors_with(&dir.join("model.safetensors"), self.config.normalization)?;
        write_atomic(&dir.join("config.json"), self.config.to_string().as_bytes())?;
        write_atomic(&dir.join(RUN_FILE), self.options.to_saved_json().as_bytes())?;
        write_atomic(&dir.join("history.json"), to_json(&self.history).as_bytes())?;
        write_atomic(&dir.join("history.csv"), self.history.to_csv().as_bytes())?;
        write_atomic(
            &dir.join("evaluation.json"),
            to_json(&self.evaluation).as_bytes(),
        )?;
        write_atomic(
            &dir.join("metrics.json"),
            to_json(&self.metrics(device)).as_bytes(),
        )
    }
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises")
}

/// Trains a new model on `device` as `config` says, carried out as `options`
/// say (where checkpoints go, how often it reports), evaluating on `data.test`
/// after every epoch.
///
/// It changes nothing process-wide: call
/// [`tune_allocator`](crate::train::tune_allocator) first for glibc's `malloc`
/// settings that make a training step ≈ 20% faster (the examples do). While it
/// runs, subnormal floats are flushed to zero
/// on the calling thread and rayon's workers, and put back on return
/// ([`FlushSubnormals`](crate::subnormals::FlushSubnormals); off with
/// `options.flush_subnormals = false`).
///
/// ```no_run
/// use lenet::data::Mnist;
/// use lenet::train::{Recipe, RunOptions, Silent};
/// use lenet::Architecture;
///
/// let device = lenet::device("auto")?;
/// let mnist = Mnist::load("data/mnist".as_ref())?;
/// let config = Recipe::Tutorial.config(Architecture::LENET5);
/// let options = RunOptions::new().with_output_dir(Some("runs/lenet5".into()));
/// let trained = lenet::train(&config, &options, &mnist, &device, &mut Silent)?;
/// println!("{:.2}%", 100.0 * trained.evaluation.accuracy);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn train(
    config: &TrainConfig,
    options: &RunOptions,
    data: &Mnist,
    device: &Device,
    observer: &mut dyn TrainObserver,
) -> Result<Trained> {
    config.validate()?;
    let autodiff = device.clone().autodiff();
    let model = config.model.init_seeded(&autodiff, config.seed);
    let optimizer = adam(config);
    let root = options
        .output_dir
        .as_ref()
        .map(|dir| dir.join("checkpoints"));
    Run {
        config: config.clone(),
        options: options.clone(),
        data,
        device,
        root,
    }
    .go(model, optimizer, Position::default(), observer)
}

/// Continues the run whose checkpoint `path` names (a run's output directory,
/// its `checkpoints/`, or one `step-*` directory), with its saved recipe and
/// options, writing new checkpoints beside it.
/// The result equals that of the run never interrupted.
pub fn resume(
    path: &Path,
    data: &Mnist,
    device: &Device,
    observer: &mut dyn TrainObserver,
) -> Result<Trained> {
    let autodiff = device.clone().autodiff();
    let restored = checkpoint::read(path, &autodiff)?;
    restored.config.validate()?;
    let optimizer = adam(&restored.config).load_record(restored.optimizer);
    Run {
        config: restored.config,
        options: restored.options,
        data,
        device,
        root: Some(restored.root),
    }
    .go(restored.model, optimizer, restored.position, observer)
}

fn adam(config: &TrainConfig) -> ModuleOptimizer {
    config.optimizer.init()
}

struct Run<'a> {
    config: TrainConfig,
    options: RunOptions,
    data: &'a Mnist,
    device: &'a Device,
    root: Option<PathBuf>,
}

impl Run<'_> {
    fn go(
        self,
        model: LeNet,
        optimizer: ModuleOptimizer,
        mut pos: Position,
        observer: &mut dyn TrainObserver,
    ) -> Result<Trained> {
        // The network's last layer gives as many classes as the data has labels
        // (ten for MNIST; more for a set loaded with `load_with_classes`).
        model.architecture().expect_classes(self.data.classes())?;
        // SAFETY: a training step's results do not depend on how a subnormal
        // constant would be folded at compile time (see `subnormals`).
        let _flush = self
            .options
            .flush_subnormals
            .then(|| unsafe { crate::subnormals::FlushSubnormals::enable() });
        let config = &self.config;
        let autodiff = self.device.clone().autodiff();
        let train_len = config
            .limit_train
            .unwrap_or(usize::MAX)
            .min(self.data.train.len());
        let steps_per_epoch = train_len.div_ceil(config.batch_size);
        let total_steps = steps_per_epoch * config.epochs;
        let model = match self.options.fused_kernels {
            Some(on) => model.with_fused_kernels(on),
            None => model,
        };
        let mut stepper =
            Stepper::new(model, optimizer).with_label_smoothing(config.label_smoothing)?;
        let on_device = self.data_on_device().then(|| OnDevice {
            train: DeviceSplit::upload(
                &self.data.train,
                train_len,
                config.normalization,
                &autodiff,
            ),
            test: DeviceSplit::upload(
                &self.data.test,
                self.data.test.len(),
                config.normalization,
                self.device,
            ),
        });
        let mut unread = Unread::default();
        observer.on_start(pos.global_step + 1, total_steps);
        // A stop asked for at an epoch's last step waits for its evaluation.
        let mut stop_at_epoch_end = false;
        // The last epoch's test evaluation is the final one: same model, same images.
        let mut final_test = None;

        while pos.epoch < config.epochs {
            let order = epoch_order(config, pos.epoch, train_len);
            // On the device: the training split and this epoch's order, uploaded once.
            let train_on_device = on_device
                .as_ref()
                .map(|data| (&data.train, data.train.order(&order)));
            let mut started = Instant::now();
            let epoch = pos.epoch;
            let batch_range = |k: usize| {
                let start = k * config.batch_size;
                start..(start + config.batch_size).min(train_len)
            };
            let host_batch = |k: usize| self.batch(&order[batch_range(k)], epoch, k, &autodiff);
            // Batches built on the host: on a CPU device the next one is built while
            // this step runs on the pool (its images, read at random, wait on memory).
            let mut built_ahead: Option<MnistBatch> = None;
            while pos.next_batch < steps_per_epoch {
                let range = batch_range(pos.next_batch);
                let images = range.len();
                let learning_rate =
                    config
                        .lr_schedule
                        .rate(config.learning_rate, pos.global_step, total_steps);
                let pending = match &train_on_device {
                    Some((train, order)) => stepper
                        .step_deferred(train.gather(order.clone().slice(range)), learning_rate),
                    None => {
                        let batch = built_ahead
                            .take()
                            .unwrap_or_else(|| host_batch(pos.next_batch));
                        let following = pos.next_batch + 1;
                        let (pending, ahead) = on_pool_while(
                            &autodiff,
                            || stepper.step_deferred(batch, learning_rate),
                            || (following < steps_per_epoch).then(|| host_batch(following)),
                        );
                        built_ahead = ahead;
                        pending
                    }
                };
                unread.push(
                    pending,
                    UnreadStep {
                        epoch: pos.epoch + 1,
                        global_step: pos.global_step + 1,
                        learning_rate,
                        images,
                    },
                );
                pos.next_batch += 1;
                pos.global_step += 1;
                let is_log_step = self.options.log_every > 0
                    && pos.next_batch.is_multiple_of(self.options.log_every);
                let loss = if is_log_step || pos.next_batch == steps_per_epoch {
                    unread.read(&mut pos)?
                } else {
                    None
                };
                observer.on_step(&StepReport {
                    epoch: pos.epoch + 1,
                    epochs: config.epochs,
                    step_in_epoch: pos.next_batch,
                    steps_per_epoch,
                    global_step: pos.global_step,
                    loss,
                    learning_rate,
                    is_log_step,
                });
                if let Some(every) = observer.probe_every()
                    && every > 0
                    && pos.global_step.is_multiple_of(every)
                {
                    observer.on_probe(pos.global_step, &stepper.model().valid());
                }
                let stop = observer.should_stop();
                stop_at_epoch_end |= stop;
                let due = self.options.checkpoint_every > 0
                    && pos
                        .global_step
                        .is_multiple_of(self.options.checkpoint_every)
                    && self.root.is_some();
                if (due || stop) && pos.next_batch < steps_per_epoch {
                    unread.read(&mut pos)?;
                    pos.sums.seconds += started.elapsed().as_secs_f64();
                    started = Instant::now();
                    let checkpoint =
                        self.checkpoint(stepper.model(), stepper.optimizer(), &pos, observer)?;
                    if stop {
                        return Err(Error::Interrupted {
                            step: pos.global_step,
                            checkpoint,
                        });
                    }
                }
            }
            pos.sums.seconds += started.elapsed().as_secs_f64();
            let valid = stepper.model().valid();
            final_test =
                Some(self.close_epoch(&valid, &mut pos, total_steps, on_device.as_ref(), observer));
            let checkpoint =
                self.checkpoint(stepper.model(), stepper.optimizer(), &pos, observer)?;
            if pos.epoch < config.epochs && stop_at_epoch_end {
                return Err(Error::Interrupted {
                    step: pos.global_step,
                    checkpoint,
                });
            }
        }

        let model = stepper.into_model().valid();
        // Resuming a run that had already finished evaluates once here.
        let evaluation = final_test.unwrap_or_else(|| self.evaluate(&model, on_device.as_ref()));
        Ok(Trained {
            model,
            config: self.config.clone(),
            options: self.options.clone(),
            history: pos.history,
            evaluation,
        })
    }

    /// The epoch that just ended: evaluated on the test images, its record
    /// (from the epoch's sums) handed to the observer and kept in the history,
    /// and the position moved to the next epoch's start. The evaluation.
    fn close_epoch(
        &self,
        model: &LeNet,
        pos: &mut Position,
        total_steps: usize,
        on_device: Option<&OnDevice>,
        observer: &mut dyn TrainObserver,
    ) -> Evaluation {
        let config = &self.config;
        let eval_started = Instant::now();
        let test = self.evaluate(model, on_device);
        let sums = std::mem::take(&mut pos.sums);
        let seen = sums.seen.max(1) as f64;
        let record = EpochRecord {
            epoch: pos.epoch + 1,
            train_loss: sums.loss_sum / seen,
            train_accuracy: sums.correct as f64 / seen,
            test_loss: test.loss,
            test_accuracy: test.accuracy,
            learning_rate: config.lr_schedule.rate(
                config.learning_rate,
                pos.global_step.saturating_sub(1),
                total_steps,
            ),
            train_seconds: sums.seconds,
            samples_per_sec: seen / sums.seconds.max(1e-9),
            eval_seconds: eval_started.elapsed().as_secs_f64(),
            device_reads: sums.device_reads,
        };
        observer.on_epoch_end(&record);
        pos.history.epochs.push(record);
        pos.epoch += 1;
        pos.next_batch = 0;
        test
    }

    /// Whether the splits go to the device once (see `RunOptions::data_on_device`).
    fn data_on_device(&self) -> bool {
        self.config.augmentation.is_none()
            && !self.data.train.is_empty()
            && !self.data.test.is_empty()
            && self
                .options
                .data_on_device
                .unwrap_or_else(|| !crate::device::computes_on_host(self.device))
    }

    fn evaluate(&self, model: &LeNet, on_device: Option<&OnDevice>) -> Evaluation {
        let config = &self.config;
        match on_device {
            Some(data) => evaluate_batches(
                model,
                self.data.test.labels(),
                config.eval_batch_size,
                self.options.flush_subnormals,
                |range| data.test.range(range),
            ),
            None => evaluate_flushing(
                model,
                &self.data.test,
                config.normalization,
                config.eval_batch_size,
                self.device,
                self.options.flush_subnormals,
            ),
        }
    }

    fn checkpoint(
        &self,
        model: &LeNet,
        optimizer: &ModuleOptimizer,
        pos: &Position,
        observer: &mut dyn TrainObserver,
    ) -> Result<Option<PathBuf>> {
        let Some(root) = &self.root else {
            return Ok(None);
        };
        let dir = checkpoint::write(root, model, optimizer, &self.config, &self.options, pos)?;
        observer.on_checkpoint(&dir);
        Ok(Some(dir))
    }

    /// The batch at `indices`, distorted if the recipe says so, with a random
    /// stream fixed by (seed, epoch, batch) so a resumed run draws the same.
    fn batch(&self, indices: &[usize], epoch: usize, batch: usize, device: &Device) -> MnistBatch {
        let split: &MnistSplit = &self.data.train;
        let normalization = self.config.normalization;
        let Some(augmentation) = self.config.augmentation else {
            return MnistBatcher::new(normalization).batch_from_split(split, indices, device);
        };
        let mut rng = Rng::derive(self.config.seed, &[1, epoch as u64, batch as u64]);
        let mut pixels = vec![0f32; indices.len() * IMAGE_PIXELS];
        for (out, &i) in pixels.chunks_exact_mut(IMAGE_PIXELS).zip(indices) {
            augmentation.apply(split.image(i), split.label(i), &mut rng, out);
            for value in out.iter_mut() {
                *value = normalization.apply_scaled(*value);
            }
        }
        let labels: Vec<i64> = indices.iter().map(|&i| split.label(i) as i64).collect();
        MnistBatch::from_values(pixels, labels, device)
    }
}

/// The training and test images on the device, uploaded once per run.
struct OnDevice {
    train: DeviceSplit,
    test: DeviceSplit,
}

/// What the loop knows on the host about a step whose values are still on the device.
struct UnreadStep {
    epoch: usize,
    global_step: usize,
    learning_rate: f64,
    images: usize,
}

/// Steps trained since the last read: their losses and counts of correct images
/// wait on the device, and [`read`](Self::read) brings all of them back with
/// one wait. Every step is still counted one by one, in order, in the epoch's
/// sums, so the history does not depend on how often the loop reads.
#[derive(Default)]
struct Unread {
    losses: Vec<Tensor<1>>,
    correct: Vec<Tensor<1, Int>>,
    steps: Vec<UnreadStep>,
}

impl Unread {
    fn push(&mut self, pending: PendingStep, step: UnreadStep) {
        self.losses.push(pending.loss);
        self.correct.push(pending.correct);
        self.steps.push(step);
    }

    /// Reads every unread step into `pos`'s sums and returns the last one's
    /// loss (`None` when there was nothing to read). A non-finite loss is the
    /// run diverging at that step.
    fn read(&mut self, pos: &mut Position) -> Result<Option<f64>> {
        if self.steps.is_empty() {
            return Ok(None);
        }
        let [losses, correct] = read_steps(
            Tensor::cat(std::mem::take(&mut self.losses), 0),
            Tensor::cat(std::mem::take(&mut self.correct), 0),
        );
        pos.sums.device_reads += 1;
        for ((step, &loss), &correct) in self.steps.drain(..).zip(&losses).zip(&correct) {
            if !loss.is_finite() {
                return Err(Error::Diverged {
                    epoch: step.epoch,
                    step: step.global_step,
                    loss,
                    learning_rate: step.learning_rate,
                    suggested: step.learning_rate / 10.0,
                });
            }
            pos.sums.loss_sum += loss * step.images as f64;
            pos.sums.correct += correct as u64;
            pos.sums.seen += step.images as u64;
        }
        Ok(losses.last().copied())
    }
}

/// The order the first `len` training images are visited in during `epoch`.
fn epoch_order(config: &TrainConfig, epoch: usize, len: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    if config.shuffle {
        Rng::derive(config.seed, &[0, epoch as u64]).shuffle(&mut order);
    }
    order
}
