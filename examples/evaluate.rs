//! The full evaluation of a saved model on the 10,000 MNIST test images.
//!
//! cargo run --release --example evaluate -- --checkpoint runs/train_mnist/model.bpk --data-dir ../shared/data/mnist

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lenet::{Architecture, DeviceChoice, SavedModel};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Evaluate a saved model on the MNIST test set")]
struct Cli {
    /// Model weights (.bpk). A config.json beside it supplies the architecture and
    /// the input normalisation the model was trained with.
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,
    /// Network, when there is no config.json beside the checkpoint (must agree with it otherwise).
    #[arg(long)]
    model: Option<Architecture>,
    /// Backend: auto, flex, ndarray, wgpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Print the evaluation as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    let device = cli.device.device()?;
    let saved = SavedModel::load(&cli.checkpoint, cli.model, &device)?;
    if saved.config_path.is_none() {
        eprintln!(
            "note: no config.json beside the checkpoint; assuming inputs in [0, 1] (the tutorial's ToTensor)"
        );
    }
    let mnist = cli.data.load()?;
    let evaluation = lenet::evaluate(
        &saved.model,
        &mnist.test,
        saved.normalization,
        1000,
        &device,
    );
    let architecture = saved.architecture;
    if cli.json {
        let mut value = serde_json::to_value(&evaluation)
            .map_err(|e| lenet::Error::InvalidArgument(e.to_string()))?;
        value["model"] = architecture.name().into();
        value["checkpoint"] = cli.checkpoint.to_string_lossy().into_owned().into();
        value["test_accuracy"] = evaluation.accuracy.into();
        println!("{value}");
    } else {
        println!(
            "{} from {} on the MNIST test set\n\n{evaluation}",
            architecture.title(),
            cli.checkpoint.display()
        );
    }
    Ok(())
}
