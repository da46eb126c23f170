//! Prints a torchinfo-style summary of every model, then compares them.
//!
//! cargo run --release --example summary [-- --model lenet5 --model conv8k3p1-relu-pool-fc10 --batch 1 --json]

use std::process::ExitCode;

use burn::module::Module;
use clap::Parser;
use lenet::{Architecture, DeviceChoice, LeNetConfig, Summary};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Summaries of LeNet5, its variants or any spec, side by side")]
struct Cli {
    /// Networks (a name or a spec such as conv8k3p1-relu-pool-fc10; repeat the
    /// flag for several). Default: lenet5, extra-conv and one-conv.
    #[arg(long = "model", value_parser = common::architecture())]
    models: Vec<Architecture>,
    /// Backend the models are built on, to check that their parameters are the
    /// ones the table counts (auto, flex, ndarray, wgpu, vulkan).
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Batch size the shapes and multiply-adds are given for.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Print the summaries as one JSON array instead of tables.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    let device = cli.device.device()?;
    let models = if cli.models.is_empty() {
        Architecture::NAMED.to_vec()
    } else {
        cli.models
    };
    let mut summaries = Vec::new();
    for arch in models {
        let summary = Summary::of_architecture(&arch, cli.batch);
        let built = LeNetConfig::new(arch.clone()).init(&device).num_params();
        if built != summary.total_params {
            return Err(lenet::Error::InvalidArgument(format!(
                "{}: the model built has {built} parameters, its layer list {}",
                summary.model, summary.total_params
            )));
        }
        summaries.push(summary);
    }
    if cli.json {
        let json = serde_json::to_string_pretty(&summaries)
            .map_err(|e| lenet::Error::InvalidArgument(e.to_string()))?;
        println!("{json}");
        return Ok(());
    }
    for summary in &summaries {
        println!("{summary}\n");
    }
    print!("{}", Summary::comparison(&summaries));
    Ok(())
}
