//! The tutorial's question — are more conv layers better? — answered over several
//! seeds: trains each architecture with one recipe, then writes a table, charts
//! (PNG and SVG) and a self-contained report.html.
//!
//! cargo run --release --example compare_models -- --data-dir ../shared/data/mnist --seeds 3 --out runs/compare

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use lenet::compare::{
    CompareConfig, Comparison, ReportExtras, compare, comparison_report, disagreement_sheet,
    disagreements,
};
use lenet::predict::{Preprocess, prepare_image_file};
use lenet::train::{EpochRecord, Recipe, TrainObserver};
use lenet::viz::{Chart, save_png};
use lenet::{Architecture, DeviceChoice};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Train several LeNet depths over several seeds and compare them on MNIST")]
struct Cli {
    /// Architectures to compare, comma separated: names or specs
    /// (lenet5,conv8k3p1-relu-pool-fc10).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "lenet5,extra-conv,one-conv",
        value_parser = common::architecture()
    )]
    models: Vec<Architecture>,
    /// Instead of --models, sweep depth (1–4 conv stages) × width (×½, ×1, ×2
    /// channels) × kernel (3, 5): 24 LeNet-style networks with LeNet5's classifier.
    #[arg(long, conflicts_with = "models")]
    grid: bool,
    /// Seeds per architecture (0, 1, …).
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Passes over the training set (default: the recipe's).
    #[arg(long)]
    epochs: Option<usize>,
    /// Settings for every run: tutorial or improved.
    #[arg(long, default_value = "tutorial")]
    recipe: Recipe,
    /// Backend: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Train on the first N training images only (quick runs).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Your own pictures of digits (files), predicted by every model in the report.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    images: Vec<PathBuf>,
    /// Test image whose feature maps the report shows for every model.
    #[arg(long, default_value_t = 0)]
    feature_digit: usize,
    /// Output directory: comparison.md/.json, *.png, *.svg, report.html, runs/.
    #[arg(long, value_name = "DIR", default_value = "runs/compare")]
    out: PathBuf,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    common::start();
    if cli.seeds == 0 || cli.models.is_empty() {
        return Err(lenet::Error::InvalidArgument(
            "--seeds and --models need at least one each".into(),
        ));
    }
    let device = cli.device.device()?;
    // Prepare the user's pictures first: a bad file should fail before hours of training.
    let user_images = cli
        .images
        .iter()
        .map(|path| {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            prepare_image_file(path, &Preprocess::default()).map(|d| (name, d))
        })
        .collect::<lenet::Result<Vec<_>>>()?;
    let mnist = cli.data.load()?;
    if cli.feature_digit >= mnist.test.len() {
        return Err(lenet::Error::InvalidArgument(format!(
            "--feature-digit {} is past the {} test images",
            cli.feature_digit,
            mnist.test.len()
        )));
    }
    common::create_out_dir(&cli.out)?;
    let mut recipe = cli
        .recipe
        .config(Architecture::LENET5)
        .with_limit_train(cli.limit);
    if let Some(epochs) = cli.epochs {
        recipe = recipe.with_epochs(epochs);
    }
    let architectures = if cli.grid {
        lenet::compare::Sweep::default().architectures()?
    } else {
        cli.models.clone()
    };
    let config = CompareConfig::new(architectures, cli.seeds, recipe);
    let total = config.architectures.len() * config.seeds.len();
    let settings = format!(
        "{} recipe, {} epochs, batch {}, lr {}, seeds {:?}, {} training images per epoch, device {}",
        cli.recipe,
        config.train.epochs,
        config.train.batch_size,
        config.train.learning_rate,
        config.seeds,
        cli.limit
            .map_or(mnist.train.len(), |n| n.min(mnist.train.len())),
        cli.device
    );
    eprintln!(
        "comparing {} architectures × {} seeds: {settings}",
        config.architectures.len(),
        cli.seeds
    );
    let mut started = 0;
    let comparison = compare(&config, &mnist, &device, &mut |architecture, seed| {
        started += 1;
        eprintln!("[{started}/{total}] {} seed {seed}", architecture.title());
        Box::new(EpochLines) as Box<dyn TrainObserver>
    })?;

    for model in &comparison.models {
        for run in &model.runs {
            let dir = cli
                .out
                .join("runs")
                .join(model.architecture.name())
                .join(format!("seed-{}", run.trained.config.seed));
            run.trained.save(&dir, cli.device.name())?;
        }
    }
    let markdown = comparison.markdown();
    write_text(&cli.out.join("comparison.md"), &markdown)?;
    // The first two models' first seeds (empty with one model).
    let found = disagreements(&comparison, 0, 1);
    write_text(
        &cli.out.join("comparison.json"),
        &serde_json::to_string_pretty(&serde_json::json!({
            "settings": settings,
            "rows": comparison.rows(),
            "pairs": comparison.pairs(),
            "disagreements": found,
        }))
        .expect("plain data serialises"),
    )?;
    write_charts(&comparison, &cli.out)?;
    if comparison.models.len() > 1 {
        save_png(
            &disagreement_sheet(&mnist.test, &found, 40),
            &cli.out.join("disagreements.png"),
        )?;
    }
    let extras = ReportExtras {
        title: "Are more conv layers better? LeNet depths on MNIST".into(),
        settings: settings.clone(),
        test: Some(&mnist.test),
        feature_digit: Some(cli.feature_digit),
        user_images,
    };
    comparison_report(&comparison, &extras)?.save(&cli.out.join("report.html"))?;
    println!("{markdown}");
    println!(
        "wrote {} (open report.html in a browser)",
        cli.out.display()
    );
    Ok(())
}

/// Every chart as PNG and SVG.
fn write_charts(comparison: &Comparison, out: &Path) -> lenet::Result<()> {
    write_chart(&comparison.training_curves(), &out.join("training_curves"))?;
    write_chart(
        &comparison.accuracy_vs_params(),
        &out.join("accuracy_vs_params"),
    )?;
    write_chart(
        &comparison.accuracy_vs_mult_adds(),
        &out.join("accuracy_vs_mult_adds"),
    )?;
    for (model, chart) in comparison
        .models
        .iter()
        .zip(comparison.confusion_heatmaps())
    {
        write_chart(
            &chart,
            &out.join(format!("confusion_{}", model.architecture.name())),
        )?;
    }
    Ok(())
}

fn write_chart(chart: &impl Chart, stem: &Path) -> lenet::Result<()> {
    save_png(&chart.to_png()?, &stem.with_extension("png"))?;
    write_text(&stem.with_extension("svg"), &chart.to_svg()?)
}

fn write_text(path: &Path, text: &str) -> lenet::Result<()> {
    lenet::atomic_file::write_atomic(path, text.as_bytes())
}

/// One line per epoch, as train_mnist prints without a terminal.
struct EpochLines;

impl TrainObserver for EpochLines {
    fn on_epoch_end(&mut self, e: &EpochRecord) {
        eprintln!(
            "  epoch {:>2}: train loss {:.4} | test acc {:.2}% | {:.1} s",
            e.epoch,
            e.train_loss,
            100.0 * e.test_accuracy,
            e.train_seconds
        );
    }
}
