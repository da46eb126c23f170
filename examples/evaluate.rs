//! The full evaluation of a saved model on the 10,000 MNIST test images.
//!
//! cargo run --release --example evaluate -- --checkpoint runs/train_mnist/model.bpk --data-dir ../shared/data/mnist

use std::process::ExitCode;

use clap::Parser;

mod common;

#[derive(Debug, Parser)]
#[command(about = "Evaluate a saved model on the MNIST test set")]
struct Cli {
    #[command(flatten)]
    model: common::ModelArgs,
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
    common::start();
    let saved = cli.model.load()?;
    let device = saved.model.device();
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
        value["checkpoint"] = cli.model.checkpoint.to_string_lossy().into_owned().into();
        value["test_accuracy"] = evaluation.accuracy.into();
        println!("{value}");
    } else {
        println!(
            "{} from {} on the MNIST test set\n\n{evaluation}",
            architecture.title(),
            cli.model.checkpoint.display()
        );
    }
    Ok(())
}
