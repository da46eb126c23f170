//! The full evaluation of a saved model on the 10,000 MNIST test images.
//!
//! cargo run --release --example evaluate -- --checkpoint runs/train_mnist/model.bpk --data-dir ../shared/data/mnist

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lenet::data::Normalization;
use lenet::train::TrainConfig;
use lenet::{Architecture, DeviceChoice, LeNet, LeNetConfig};

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
    let (architecture, normalization) = settings(&cli)?;
    let device = cli.device.device()?;
    let model = LeNet::load(&LeNetConfig::new(architecture), &cli.checkpoint, &device)?;
    let mnist = cli.data.load()?;
    let evaluation = lenet::evaluate(&model, &mnist.test, normalization, 1000, &device);
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

/// Architecture and normalisation: from the training config beside the
/// checkpoint when there is one, never guessed when there is not.
fn settings(cli: &Cli) -> lenet::Result<(Architecture, Normalization)> {
    let config_path = cli.checkpoint.with_file_name("config.json");
    if config_path.is_file() {
        use burn::config::Config;
        let config = TrainConfig::load(&config_path).map_err(|e| lenet::Error::Checkpoint {
            path: config_path.clone(),
            reason: format!("unreadable training config: {e}"),
        })?;
        let saved = config.model.architecture;
        if let Some(asked) = cli.model
            && asked != saved
        {
            return Err(lenet::Error::Checkpoint {
                path: cli.checkpoint.clone(),
                reason: format!(
                    "this is a {saved} checkpoint (per {}), not {asked}",
                    config_path.display()
                ),
            });
        }
        return Ok((saved, config.normalization));
    }
    let architecture = cli.model.ok_or_else(|| {
        lenet::Error::InvalidArgument(format!(
            "no config.json beside {}: say which network it is with --model lenet5|extra-conv",
            cli.checkpoint.display()
        ))
    })?;
    eprintln!(
        "note: no config.json beside the checkpoint; assuming inputs in [0, 1] (the tutorial's ToTensor)"
    );
    Ok((architecture, Normalization::None))
}
