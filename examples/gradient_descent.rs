//! The tutorial's first lesson: fit a line by gradient descent, with gradients
//! by hand and by Burn's autodiff, and see that they agree.
//!
//! cargo run --release --example gradient_descent -- --out out/gradient_descent

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lenet::DeviceChoice;
use lenet::lesson::{Gradients, LineData, descend, max_gradient_difference};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Gradient descent on a noisy line, by hand and by autodiff")]
struct Cli {
    /// Learning rate α.
    #[arg(long, default_value_t = 0.1)]
    alpha: f64,
    /// Number of updates.
    #[arg(long, default_value_t = 1000)]
    iterations: usize,
    /// Backend for the autodiff run: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// The line the data is drawn from: slope.
    #[arg(long, default_value_t = 2.5, allow_negative_numbers = true)]
    true_w: f64,
    /// The line the data is drawn from: intercept.
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    true_b: f64,
    /// Number of points.
    #[arg(long, default_value_t = 100)]
    points: usize,
    /// Standard deviation of the noise added to y.
    #[arg(long, default_value_t = 0.3)]
    noise: f64,
    /// Seed of the data.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory for the plots.
    #[arg(long, value_name = "DIR", default_value = "out/gradient_descent")]
    out: PathBuf,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    let data = LineData::noisy_line(cli.true_w, cli.true_b, cli.points, cli.noise, cli.seed);
    let device = cli.device.device()?;
    let by_hand = descend(&data, cli.alpha, cli.iterations, &Gradients::ByHand)?;
    let autodiff = descend(
        &data,
        cli.alpha,
        cli.iterations,
        &Gradients::Autodiff(device),
    )?;
    let (ls_w, ls_b) = data.least_squares();
    println!(
        "data: {} points from y = {} x + {} with noise sd {} (seed {})",
        cli.points, cli.true_w, cli.true_b, cli.noise, cli.seed
    );
    println!(
        "alpha {}, {} iterations (converges for alpha < {:.4})",
        cli.alpha,
        cli.iterations,
        data.max_stable_alpha()
    );
    for (name, fit) in [("by hand", &by_hand), ("autodiff", &autodiff)] {
        println!(
            "{name:>9}: w = {:.6}, b = {:.6}, J = {:.6}",
            fit.w, fit.b, fit.cost
        );
    }
    println!(
        "least squares: w = {ls_w:.6}, b = {ls_b:.6}, J = {:.6}",
        data.cost(ls_w, ls_b)
    );
    println!(
        "largest difference between the hand-written and autodiff gradients over the run: {:.3e}",
        max_gradient_difference(&by_hand, &autodiff)
    );

    common::create_out_dir(&cli.out)?;
    let fit_plot = lenet::viz::line_fit_plot(
        &data.x,
        &data.y,
        &[
            ("gradient descent (by hand)", by_hand.w, by_hand.b),
            ("true line", cli.true_w, cli.true_b),
        ],
    )?;
    let costs: Vec<f64> = by_hand.steps.iter().map(|s| s.cost).collect();
    let auto_costs: Vec<f64> = autodiff.steps.iter().map(|s| s.cost).collect();
    let cost_plot = lenet::viz::log_curves(
        "Cost J over the iterations",
        "J(w, b)",
        &[("by hand", &costs), ("autodiff", &auto_costs)],
    )?;
    let path: Vec<(f64, f64)> = by_hand.steps.iter().map(|s| (s.w, s.b)).collect();
    let landscape = lenet::viz::cost_landscape(|w, b| data.cost(w, b), &path, (ls_w, ls_b))?;
    for (name, picture) in [
        ("fit.png", fit_plot),
        ("cost.png", cost_plot),
        ("path.png", landscape),
    ] {
        let path = cli.out.join(name);
        lenet::viz::save_png(&picture, &path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
