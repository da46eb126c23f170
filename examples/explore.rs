//! A local web app: draw a digit (or drop a photo) and watch every layer of your
//! models respond, with saliency, Grad-CAM and occlusion over the input.
//!
//! cargo run --release --example explore -- [--checkpoint runs/lenet5/model.bpk …] \
//!     [--runs DIR] [--data-dir DIR] [--port 8000]
//!
//! Without `--checkpoint` it uses a quick LeNet5 from the cache, training one (one
//! epoch, a few seconds) the first time. The lab trains into `--runs` (default: a
//! per-user data directory, said on stderr) on the MNIST of `--data-dir`;
//! `--no-lab` leaves it out. The first line on stdout is
//! `listening on http://HOST:PORT/?token=TOKEN`: open that address (the token,
//! new at every launch, lets the page act).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use lenet::data::Split;
use lenet::explore::{App, Lab, LabLimits, LabOptions, NamedModel, ServeOptions};
use lenet::train::{Recipe, RunOptions, StepReport, TrainObserver};
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
    /// Another name the server answers to (repeatable), e.g. when it is reached
    /// through a name of its own; any other `Host` is refused.
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
    /// The lab's runs directory (`train_mnist --out DIR/NAME` runs show up in it).
    #[arg(long, value_name = "DIR")]
    runs: Option<PathBuf>,
    /// No lab: only the models given, nothing trained or written.
    #[arg(long, conflicts_with = "runs")]
    no_lab: bool,
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
    // All of MNIST for the lab and to train the quick model; else only the
    // test images to browse: from --data-dir, else from where the first
    // checkpoint's run recorded its data.
    let full = if cli.checkpoint.is_empty() || !cli.no_lab {
        Some(cli.data.load()?)
    } else {
        None
    };
    if let (true, Some(mnist)) = (cli.checkpoint.is_empty(), &full) {
        let quick = quick_model(mnist, &device, cli.device.name())?;
        models.push(NamedModel::new("lenet5 (quick, 1 epoch)", quick));
    }
    let test = if let Some(mnist) = &full {
        Some(mnist.test.clone())
    } else {
        let recorded = cli
            .checkpoint
            .iter()
            .find_map(|p| common::recorded_data_dir(p));
        match (&cli.data.data_dir, recorded) {
            (Some(_), recorded) => Some(cli.data.load_split(Split::Test, recorded.as_deref())?),
            (None, Some(recorded)) => {
                match cli.data.load_split(Split::Test, Some(recorded.as_path())) {
                    Ok(test) => Some(test),
                    Err(e) => {
                        eprintln!("note: no test images to browse: {}", common::with_hint(&e));
                        None
                    }
                }
            }
            (None, None) => None,
        }
    };
    let mut app = App::new(models, test)?;
    if let (false, Some(mnist)) = (cli.no_lab, full) {
        let runs = cli
            .runs
            .clone()
            .unwrap_or_else(lenet::explore::default_runs_dir);
        eprintln!("lab: runs in {}", runs.display());
        let lab = Lab::open(
            LabOptions {
                runs,
                data_dir: std::fs::canonicalize(cli.data.dir()).unwrap_or(cli.data.dir()),
                device: device.clone(),
                device_name: cli.device.name().to_string(),
                limits: LabLimits::default(),
            },
            mnist,
        )?;
        app = app.with_lab(lab);
    }
    // An IPv6 literal (`::1`) needs brackets before the port.
    let address = match cli.host.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::SocketAddr::new(ip, cli.port).to_string(),
        Err(_) => format!("{}:{}", cli.host, cli.port),
    };
    let listen = |source| lenet::Error::Server {
        action: format!("listen on {address}"),
        source,
    };
    let listener = std::net::TcpListener::bind(&address).map_err(listen)?;
    let bound = listener.local_addr().map_err(listen)?;
    // Room for the server's cap of connections (a process-wide setting: asked
    // for here, never by the library).
    if let Err(e) = lenet::explore::raise_open_files_limit() {
        eprintln!("note: the open-file limit stays as it is ({e})");
    }
    let token = lenet::explore::new_token()?;
    println!(
        "listening on http://{}/?token={token}",
        lenet::explore::address_to_open(bound)
    );
    eprintln!("models: {}", app.model_names().join(", "));
    if !bound.ip().is_loopback() {
        eprintln!("note: {} is reachable from other machines", bound.ip());
    }
    if bound.ip().is_unspecified() && cli.allow_host.is_empty() {
        eprintln!(
            "note: other machines are answered only at the names given with --allow-host \
             (the name or address they reach this one by)"
        );
    }
    let options = ServeOptions {
        allowed_hosts: cli.allow_host.clone(),
        token: Some(token),
        ..ServeOptions::default()
    };
    lenet::explore::serve(listener, app, options)
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
    let config = Recipe::Improved
        .config(Architecture::LENET5)
        .with_seed(0)
        .with_epochs(1);
    // A model cached by an earlier version, whose recipe differed, is trained again.
    let cached = lenet::TrainConfig::from_file(&dir.join("config.json")).ok();
    if weights.is_file() && cached.is_some_and(|c| c.to_string() == config.to_string()) {
        eprintln!("using the quick model in {}", dir.display());
        return SavedModel::load(&weights, None, device);
    }
    eprintln!(
        "no --checkpoint: training a quick LeNet5 (1 epoch) into {}",
        dir.display()
    );
    let trained = lenet::train(&config, &RunOptions::new(), mnist, device, &mut Lines)?;
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
