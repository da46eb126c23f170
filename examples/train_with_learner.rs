//! Trains LeNet5 (or any architecture) with burn-train's supervised training
//! instead of this crate's loop: Burn's `Learner`, its data loaders, metrics
//! (accuracy and loss on the training batches and the 10,000 test images, every
//! epoch) and progress (a TUI on a terminal). Then evaluates on the test images
//! as `train_mnist` does and writes `metrics.json`, `model.bpk` and `config.json`.
//!
//! cargo run --release --features learner --example train_with_learner -- \
//!     --data-dir ../shared/data/mnist --epochs 10 --out runs/learner

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::data::dataloader::DataLoaderBuilder;
use burn::module::Module;
use burn_train::metric::{AccuracyMetric, LossMetric};
use burn_train::{Learner, SupervisedTraining};
use clap::Parser;
use lenet::data::MnistBatcher;
use lenet::train::{Recipe, RunMetrics, RunOptions};
use lenet::{Architecture, DeviceChoice};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Train LeNet5 with burn-train's Learner and evaluate it on the test images")]
struct Cli {
    /// Network: lenet5, extra-conv, one-conv or a spec.
    #[arg(long, default_value = "lenet5", value_parser = common::architecture())]
    model: Architecture,
    /// Backend: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Passes over the training set.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Seed for the initial weights and burn's shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory: burn-train's logs and checkpoints, metrics.json, model.bpk, config.json.
    #[arg(long, value_name = "DIR", default_value = "runs/learner")]
    out: PathBuf,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    common::start();
    let device = cli.device.device()?;
    let mnist = cli.data.load()?;
    common::create_out_dir(&cli.out)?;
    // The tutorial's recipe: Adam 1e-3, batch 64, inputs in [0, 1].
    let config = Recipe::Tutorial
        .config(cli.model.clone())
        .with_seed(cli.seed)
        .with_epochs(cli.epochs);
    let options = RunOptions::new().with_data_dir(Some(cli.data.dir()));
    let batcher = || MnistBatcher::new(config.normalization);
    let train = DataLoaderBuilder::new(batcher())
        .batch_size(config.batch_size)
        .shuffle(cli.seed)
        .set_device(device.clone())
        .build(mnist.train.clone());
    let valid = DataLoaderBuilder::new(batcher())
        .batch_size(config.eval_batch_size)
        .set_device(device.clone())
        .build(mnist.test.clone());
    // On the autodiff device: burn-train differentiates the parameters it is given.
    let model = config
        .model
        .init_seeded(&device.clone().autodiff(), cli.seed);
    let optimizer = config.optimizer.init();

    let started = Instant::now();
    let result = SupervisedTraining::new(&cli.out, train, valid)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .num_epochs(cli.epochs)
        .with_application_logger(None)
        .summary()
        .launch(Learner::new(model, optimizer, config.learning_rate));
    let seconds = started.elapsed().as_secs_f64();
    let model = result.model;

    let evaluation = lenet::evaluate(
        &model,
        &mnist.test,
        config.normalization,
        config.eval_batch_size,
    );
    println!(
        "test accuracy {:.2}% (loss {:.4}) on {} test images after {} epochs of burn-train, {seconds:.1} s",
        100.0 * evaluation.accuracy,
        evaluation.loss,
        evaluation.count,
        cli.epochs
    );
    let metrics = RunMetrics {
        model: cli.model.name().to_string(),
        recipe: "tutorial (burn-train SupervisedTraining)".to_string(),
        device: cli.device.name().to_string(),
        seed: cli.seed,
        epochs: cli.epochs,
        batch_size: config.batch_size,
        learning_rate: config.learning_rate,
        train_images: mnist.train.len(),
        params: model.num_params(),
        test_accuracy: evaluation.accuracy,
        test_loss: evaluation.loss,
        // burn-train validates on the test images every epoch: the time includes it.
        train_seconds: seconds,
        train_samples_per_sec: (mnist.train.len() * cli.epochs) as f64 / seconds.max(1e-9),
        test_images_per_sec: 0.0,
    };
    let json = serde_json::to_string_pretty(&metrics).expect("plain data serialises");
    lenet::atomic_file::write_atomic(&cli.out.join("metrics.json"), json.as_bytes())?;
    lenet::atomic_file::write_atomic(&cli.out.join("config.json"), config.to_string().as_bytes())?;
    lenet::atomic_file::write_atomic(&cli.out.join("run.json"), options.to_string().as_bytes())?;
    model.save(&cli.out.join("model.bpk"))
}
