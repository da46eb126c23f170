//! A local web app: draw a digit (or drop a photo) and watch every layer of your
//! models respond, with saliency, Grad-CAM and occlusion over the input.
//!
//! cargo run --release --example explore -- --checkpoint runs/lenet5/model.bpk \
//!     [--checkpoint runs/extra-conv/model.bpk …] [--data-dir DIR] [--port 8000]
//!
//! Without `--checkpoint` it uses a quick LeNet5 from the cache, training one (one
//! epoch, a few seconds) the first time. The first line on stdout is
//! `listening on http://HOST:PORT`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use lenet::explore::{App, NamedModel};
use lenet::train::{Recipe, StepReport, TrainObserver};
use lenet::{Architecture, DeviceChoice, SavedModel};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Draw a digit and watch every layer of your models, in the browser")]
struct Cli {
    /// Trained weights (repeat for several models side by side): .bpk with its
    /// config.json, .pth or .safetensors.
    #[arg(long, value_name = "FILE")]
    checkpoint: Vec<PathBuf>,
    /// Network, for weights that do not say (a .bpk without config.json).
    #[arg(long, value_parser = common::architecture())]
    model: Option<Architecture>,
    /// Backend: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Address to listen on: loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0: any free one, printed on the first line).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    common::start();
    let device = cli.device.device()?;
    let mut models = Vec::new();
    for path in &cli.checkpoint {
        let saved = SavedModel::load(path, cli.model.clone(), &device)?;
        models.push(NamedModel::new(model_name(path), saved));
    }
    // MNIST: to browse its test images, and to train the quick model if needed.
    let wants_data = cli.data.data_dir.is_some() || cli.checkpoint.is_empty();
    let mnist = if wants_data {
        Some(cli.data.load()?)
    } else {
        None
    };
    if models.is_empty() {
        let mnist = mnist.as_ref().expect("loaded above without checkpoints");
        let quick = quick_model(mnist, &device, cli.device.name())?;
        models.push(NamedModel::new("lenet5 (quick, 1 epoch)", quick));
    }
    let app = App::new(models, mnist.map(|m| m.test))?;
    // An IPv6 literal (`::1`) needs brackets before the port.
    let address = match cli.host.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::SocketAddr::new(ip, cli.port).to_string(),
        Err(_) => format!("{}:{}", cli.host, cli.port),
    };
    let listener = std::net::TcpListener::bind(&address)
        .map_err(|e| lenet::Error::InvalidArgument(format!("cannot listen on {address}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| lenet::Error::InvalidArgument(e.to_string()))?;
    println!("listening on http://{bound}");
    eprintln!("models: {}", app.model_names().join(", "));
    if !bound.ip().is_loopback() {
        eprintln!("note: {} is reachable from other machines", bound.ip());
    }
    lenet::explore::serve(listener, app)
}

/// A checkpoint's name on the page: its run directory (`runs/lenet5/model.bpk`
/// → `lenet5`), else the file's name.
fn model_name(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    match path.parent().and_then(|p| p.file_name()) {
        Some(dir) if stem == "model" => dir.to_string_lossy().into_owned(),
        _ => path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
    }
}

/// LeNet5 after one epoch of the improved recipe, from the cache or trained now.
fn quick_model(
    mnist: &lenet::data::Mnist,
    device: &burn::tensor::Device,
    device_name: &str,
) -> lenet::Result<SavedModel> {
    let dir = dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("lenet/explore/lenet5-improved-1-epoch");
    let weights = dir.join("model.bpk");
    if weights.is_file() {
        eprintln!("using the quick model in {}", dir.display());
        return SavedModel::load(&weights, None, device);
    }
    eprintln!(
        "no --checkpoint: training a quick LeNet5 (1 epoch) into {}",
        dir.display()
    );
    let mut config = Recipe::Improved.config(Architecture::LENET5).with_seed(0);
    config.epochs = 1;
    let trained = lenet::train(&config, mnist, device, &mut Lines)?;
    eprintln!("test accuracy {:.2}%", 100.0 * trained.evaluation.accuracy);
    trained.save(&dir, device_name)?;
    SavedModel::load(&weights, None, device)
}

/// Progress as a line every 10% of the epoch, on stderr.
struct Lines;

impl TrainObserver for Lines {
    fn on_step(&mut self, step: &StepReport) {
        let tenth = (step.steps_per_epoch / 10).max(1);
        if step.step_in_epoch.is_multiple_of(tenth) {
            eprintln!(
                "  step {}/{} ({}%)",
                step.step_in_epoch,
                step.steps_per_epoch,
                100 * step.step_in_epoch / step.steps_per_epoch
            );
        }
    }
}
