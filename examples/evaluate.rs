//! The full evaluation of a saved model on the 10,000 MNIST test images.
//!
//! cargo run --release --example evaluate -- --checkpoint runs/train_mnist/model.bpk [--data-dir ../shared/data/mnist] [--views]
//!
//! Without `--data-dir`, a checkpoint in a run directory is evaluated on the
//! data its run recorded; only the test images are read. `--views` reads each
//! image as `predict` reads a picture (in seven views, averaged).

use std::process::ExitCode;

use clap::Parser;
use lenet::data::Split;

mod common;

#[derive(Debug, Parser)]
#[command(about = "Evaluate a saved model on the MNIST test set")]
struct Cli {
    #[command(flatten)]
    model: common::ModelArgs,
    /// Print the evaluation as JSON.
    #[arg(long)]
    json: bool,
    /// Read each image as `predict` reads a picture: also shifted one pixel each
    /// way and slanted both ways, the seven readings' probabilities averaged
    /// (without it: read once, as training measured it).
    #[arg(long)]
    views: bool,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    common::start();
    let saved = cli.model.load()?;
    // The run's own data where it recorded it (as `--resume` does): the test
    // images alone, downloaded alone where they must be.
    let recorded = cli.model.recorded_data_dir();
    let test = cli.data.load_split(Split::Test, recorded.as_deref())?;
    let evaluation = if cli.views {
        lenet::predict::evaluate_with_views(&saved, &test, lenet::predict::Views::SHIFTS_AND_SLANTS)
    } else {
        lenet::evaluate(&saved.model, &test, saved.normalization, 1000)
    };
    let reading = if cli.views { "seven views" } else { "once" };
    let architecture = saved.architecture;
    if cli.json {
        let mut value = serde_json::to_value(&evaluation)
            .map_err(|e| lenet::Error::InvalidArgument(e.to_string()))?;
        value["model"] = architecture.name().into();
        value["checkpoint"] = cli.model.first().to_string_lossy().into_owned().into();
        value["test_accuracy"] = evaluation.accuracy.into();
        value["read"] = reading.into();
        println!("{value}");
    } else {
        println!(
            "{} from {} on the MNIST test set, each image read {reading}\n\n{evaluation}",
            architecture.title(),
            cli.model.first().display()
        );
    }
    Ok(())
}
