//! Trains LeNet5 (or the extra-conv or one-conv variant) on MNIST with the
//! tutorial's recipe (or the improved one), shows progress, checkpoints, and
//! evaluates on the 10,000 test images.
//!
//! cargo run --example train_mnist -- --data-dir ../shared/data/mnist --out runs/lenet5

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use lenet::train::{EpochRecord, Recipe, RunOptions, StepReport, TrainObserver};
use lenet::{Architecture, DeviceChoice};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Train LeNet5, a variant or your own spec on MNIST and evaluate it")]
struct Cli {
    /// Network: lenet5, extra-conv, one-conv, or a spec such as
    /// conv8k3p1-relu-pool-conv16k3-relu-pool-fc10 (see docs/SPECS.md).
    #[arg(long, default_value = "lenet5", value_parser = common::architecture(), conflicts_with = "resume")]
    model: Architecture,
    /// Settings to start from: tutorial (Adam 1e-3, batch 64, 10 epochs) or improved.
    #[arg(long, default_value = "tutorial", conflicts_with = "resume")]
    recipe: Recipe,
    /// Start from the recipe in FILE instead (a config.json as runs write it, edited
    /// at will: augmentation, schedule, optimizer, network); the flags below still
    /// override it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["recipe", "model", "resume"])]
    config: Option<PathBuf>,
    /// Backend: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Passes over the training set (default: the recipe's).
    #[arg(long, conflicts_with = "resume")]
    epochs: Option<usize>,
    /// Images per step (default: the recipe's).
    #[arg(long, conflicts_with = "resume")]
    batch_size: Option<usize>,
    /// Learning rate (default: the recipe's).
    #[arg(long, conflicts_with = "resume")]
    lr: Option<f64>,
    /// Label smoothing of the training loss, 0 to below 1 (default: the recipe's,
    /// 0 for tutorial and 0.1 for improved, or the one in `--config`'s file).
    #[arg(long, value_name = "EPSILON", conflicts_with = "resume")]
    label_smoothing: Option<f32>,
    /// Seed for the initial weights, shuffling and augmentation (default: the
    /// recipe's, 0, or the one in `--config`'s file).
    #[arg(long, conflicts_with = "resume")]
    seed: Option<u64>,
    /// Train on the first N training images only (quick runs).
    #[arg(long, value_name = "N", conflicts_with = "resume")]
    limit: Option<usize>,
    /// Also checkpoint every N steps (checkpoints are always written at epoch ends).
    #[arg(long, value_name = "N", default_value_t = 0, conflicts_with = "resume")]
    checkpoint_every: usize,
    /// Output directory: model.bpk, config.json, history.json/.csv, metrics.json, checkpoints/.
    #[arg(long, value_name = "DIR", default_value = "runs/train_mnist")]
    out: PathBuf,
    /// Also write report.html (curves, confusion matrix, feature maps) into the output directory.
    #[arg(long)]
    report: bool,
    /// Continue the run in DIR exactly as it was started: its settings (the
    /// flags that would change them are refused with it) and, unless --data-dir
    /// says otherwise, its data; --out defaults to DIR.
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        // A stop the user asked for (Ctrl-C) is not an error; say how to continue.
        Err(stopped @ lenet::Error::Interrupted { .. }) => {
            eprintln!("{}", common::with_hint(&stopped));
            ExitCode::from(130)
        }
        other => common::finish(other),
    }
}

fn run(cli: Cli) -> lenet::Result<()> {
    common::start();
    let device = cli.device.device()?;
    let mnist = match &cli.resume {
        Some(dir) => {
            let recorded = lenet::train::Checkpoint::find(dir)?.options.data_dir;
            cli.data.load_recorded(recorded.as_deref())?
        }
        None => cli.data.load()?,
    };
    let mut progress = Progress::new();
    let (trained, out) = match &cli.resume {
        Some(dir) => {
            let out = if cli.out == Path::new("runs/train_mnist") {
                dir.clone()
            } else {
                cli.out.clone()
            };
            eprintln!("resuming from {}", dir.display());
            (lenet::resume(dir, &mnist, &device, &mut progress)?, out)
        }
        None => {
            common::create_out_dir(&cli.out)?;
            let mut config = match &cli.config {
                Some(file) => lenet::TrainConfig::from_file(file)?,
                None => cli.recipe.config(cli.model.clone()),
            };
            if let Some(seed) = cli.seed {
                config = config.with_seed(seed);
            }
            if cli.limit.is_some() {
                config = config.with_limit_train(cli.limit);
            }
            let options = RunOptions::new()
                .with_checkpoint_every(cli.checkpoint_every)
                .with_output_dir(Some(cli.out.clone()))
                .with_data_dir(Some(absolute(&cli.data.dir())));
            if let Some(epochs) = cli.epochs {
                config = config.with_epochs(epochs);
            }
            if let Some(batch_size) = cli.batch_size {
                config = config.with_batch_size(batch_size);
            }
            if let Some(lr) = cli.lr {
                config = config.with_learning_rate(lr);
            }
            if let Some(smoothing) = cli.label_smoothing {
                config = config.with_label_smoothing(smoothing);
            }
            let smoothing = match config.label_smoothing {
                epsilon if epsilon > 0.0 => format!(", label smoothing {epsilon}"),
                _ => String::new(),
            };
            eprintln!(
                "training {} ({} recipe) on {} for {} epochs, batch {}, lr {}, seed {}{smoothing}",
                config.model.architecture.title(),
                config.recipe,
                cli.device,
                config.epochs,
                config.batch_size,
                config.learning_rate,
                config.seed
            );
            (
                lenet::train(&config, &options, &mnist, &device, &mut progress)?,
                cli.out.clone(),
            )
        }
    };
    progress.finish();
    trained.save(&out, cli.device.name())?;
    println!("\nTest set evaluation\n{}", trained.evaluation);
    let metrics = trained.metrics(cli.device.name());
    println!(
        "\n{}: test accuracy {:.2}% after {} epochs, {:.1} s of training ({:.0} images/s); wrote {}",
        metrics.model,
        100.0 * metrics.test_accuracy,
        metrics.epochs,
        metrics.train_seconds,
        metrics.train_samples_per_sec,
        out.display()
    );
    if cli.report {
        let settings = format!(
            "{} recipe, {} epochs, batch {}, lr {}, seed {}, device {}",
            trained.config.recipe,
            metrics.epochs,
            metrics.batch_size,
            metrics.learning_rate,
            metrics.seed,
            metrics.device
        );
        let extras = lenet::compare::ReportExtras {
            title: format!("{} on MNIST", trained.config.model.architecture.title()),
            settings,
            test: Some(&mnist.test),
            feature_digit: Some(0),
            user_images: Vec::new(),
        };
        let one = lenet::compare::Comparison::of_one(trained, &mnist.test)?;
        let path = out.join("report.html");
        lenet::compare::comparison_report(&one, &extras)?.save(&path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// `path` made absolute, so that a run resumed from elsewhere finds it.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A progress bar on a terminal; the tutorial's lines (every 100 steps) elsewhere.
/// The first Ctrl-C stops cleanly after the current step, with a checkpoint.
struct Progress {
    bar: Option<ProgressBar>,
    interrupted: Arc<AtomicBool>,
}

impl Progress {
    fn new() -> Self {
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        let installed = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130); // a second Ctrl-C: stop now
            }
            eprintln!("\nstopping after this step (Ctrl-C again to stop at once)...");
        });
        if let Err(e) = installed {
            eprintln!("note: Ctrl-C will not stop cleanly ({e})");
        }
        Self {
            bar: None,
            interrupted,
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl TrainObserver for Progress {
    fn should_stop(&mut self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    fn on_start(&mut self, first_step: usize, total_steps: usize) {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_steps as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} steps {per_sec} eta {eta} {msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_position(first_step.saturating_sub(1) as u64);
            self.bar = Some(bar);
        }
    }

    fn on_step(&mut self, step: &StepReport) {
        let logged = step.loss.filter(|_| step.is_log_step);
        match (&self.bar, logged) {
            (Some(bar), _) => {
                bar.set_position(step.global_step as u64);
                bar.set_prefix(format!("epoch {}/{}", step.epoch, step.epochs));
                if let Some(loss) = logged {
                    bar.set_message(format!("loss {loss:.4}"));
                }
            }
            (None, Some(loss)) => eprintln!(
                "epoch {}/{} step {}/{} loss {loss:.4}",
                step.epoch, step.epochs, step.step_in_epoch, step.steps_per_epoch
            ),
            (None, None) => {}
        }
    }

    fn on_epoch_end(&mut self, e: &EpochRecord) {
        let line = format!(
            "epoch {:>2}: train loss {:.4} acc {:.2}% | test loss {:.4} acc {:.2}% | {:.1} s, {:.0} images/s",
            e.epoch,
            e.train_loss,
            100.0 * e.train_accuracy,
            e.test_loss,
            100.0 * e.test_accuracy,
            e.train_seconds,
            e.samples_per_sec
        );
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}
