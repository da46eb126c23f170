//! Prints a torchinfo-style summary of every model, then compares them.
//!
//! cargo run --release --example summary [-- --device flex --batch 1 --json]

use std::process::ExitCode;

use clap::Parser;
use lenet::{Architecture, DeviceChoice, LeNetConfig, Summary};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Summaries of LeNet5, the extra-conv and one-conv variants, side by side")]
struct Cli {
    /// Backend to run the models on (auto, flex, ndarray, wgpu, vulkan).
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
    let summaries: Vec<Summary> = Architecture::ALL
        .iter()
        .map(|&arch| Summary::with_batch(&LeNetConfig::new(arch).init(&device), cli.batch))
        .collect();
    if cli.json {
        let json = serde_json::to_string_pretty(&summaries)
            .map_err(|e| lenet::Error::InvalidArgument(e.to_string()))?;
        println!("{json}");
        return Ok(());
    }
    for summary in &summaries {
        println!("{summary}\n");
    }
    print_comparison(&summaries);
    Ok(())
}

fn print_comparison(summaries: &[Summary]) {
    let base = &summaries[0];
    println!("Comparison (batch {})", base.input_shape[0]);
    println!(
        "{:<22}{:>10}{:>12}{:>14}{:>12}{:>14}",
        "Model", "Params", "vs LeNet5", "Mult-adds", "vs LeNet5", "Params (MB)"
    );
    for s in summaries {
        println!(
            "{:<22}{:>10}{:>11.0}%{:>14}{:>11.0}%{:>14.3}",
            s.model,
            s.total_params,
            100.0 * s.total_params as f64 / base.total_params as f64,
            s.total_mult_adds,
            100.0 * s.total_mult_adds as f64 / base.total_mult_adds as f64,
            s.param_bytes() as f64 / 1e6,
        );
    }
}
