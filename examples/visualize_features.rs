//! What every layer of the model sees for one digit: a picture per layer, the
//! tutorial's channel-mean view (of the real activations), the kernels, one
//! combined sheet, and `feature_maps.json`.
//!
//! cargo run --release --example visualize_features -- --checkpoint runs/train_mnist/model.bpk \
//!     --mnist-index 0 --data-dir ../shared/data/mnist --out out/features

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::tensor::{Tensor, TensorData};
use clap::Parser;
use lenet::data::{IMAGE_SIDE, MnistBatcher, MnistSplit, Normalization, Split};
use lenet::features::{FeatureMaps, LayerSelection};
use lenet::predict::Prediction;
use lenet::{Architecture, DeviceChoice, LeNet, LeNetConfig, SavedModel};
use serde_json::json;

mod common;

#[derive(Debug, Parser)]
#[command(about = "Pictures of every layer's activations for one digit")]
struct Cli {
    /// Network (checked against the checkpoint's config.json when there is one).
    #[arg(long, value_parser = common::architecture())]
    model: Option<Architecture>,
    /// Trained weights (.bpk). Without it the weights are untrained (random).
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// A picture of a digit (PNG, JPEG, ...), preprocessed like MNIST.
    #[arg(long, value_name = "PATH", conflicts_with = "mnist_index")]
    image: Option<PathBuf>,
    /// Use MNIST image I (of --split) instead of a picture.
    #[arg(long, value_name = "I")]
    mnist_index: Option<usize>,
    /// Which MNIST split --mnist-index refers to.
    #[arg(long, default_value = "test", value_parser = ["train", "test"])]
    split: String,
    /// Layers to draw: all; kinds (conv,relu,pool,fc); or names (conv1,pool2,...).
    #[arg(long, default_value = "all")]
    layers: LayerSelection,
    /// Backend: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Also write report.html: every picture and the layer statistics in one page.
    #[arg(long)]
    report: bool,
    /// Output directory for the PNGs and feature_maps.json.
    #[arg(long, value_name = "DIR", default_value = "out/features")]
    out: PathBuf,
    #[command(flatten)]
    data: common::DataArgs,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

struct Input {
    images: Tensor<4>,
    source: String,
    label: Option<u8>,
}

fn run(cli: Cli) -> lenet::Result<()> {
    let device = cli.device.device()?;
    let (model, normalization, architecture) = load_model(&cli, &device)?;
    let input = load_input(&cli, normalization, &device)?;
    common::create_out_dir(&cli.out)?;

    let maps = lenet::extract_feature_maps_with(&model, input.images.clone(), &cli.layers);
    let prediction = Prediction::from_logits(&maps.logits);

    let mut written = Vec::new();
    let mut save = |name: String, picture: image::RgbImage| -> lenet::Result<()> {
        let path = cli.out.join(&name);
        lenet::viz::save_png(&picture, &path)?;
        written.push((name, picture));
        Ok(())
    };
    for map in &maps.layers {
        save(format!("{}.png", map.name), lenet::viz::layer_grid(map, 0))?;
    }
    if maps
        .layers
        .iter()
        .any(|m| m.kind == lenet::LayerKind::Conv2d)
    {
        save("conv_means.png".into(), lenet::viz::conv_means(&maps, 0))?;
    }
    for kernels in model.conv_kernels() {
        let name = format!("kernels_{}.png", kernels.name);
        save(name, lenet::viz::kernel_grid(&kernels))?;
    }
    let title = format!(
        "{} on {}: predicted {} ({:.1}%){}",
        architecture.title(),
        input.source,
        prediction.class,
        100.0 * prediction.confidence(),
        input
            .label
            .map(|l| format!(", label {l}"))
            .unwrap_or_default()
    );
    save(
        "overview.png".into(),
        lenet::viz::overview_sheet(&maps, 0, &title),
    )?;

    let report = report(&cli, architecture, &input, &maps, &prediction);
    let json_path = cli.out.join("feature_maps.json");
    let text = serde_json::to_string_pretty(&report).expect("plain data");
    lenet::atomic_file::write_atomic(&json_path, text.as_bytes())?;

    if cli.report {
        let mut page = lenet::report::Report::new(&title);
        let rows = maps
            .layers
            .iter()
            .map(|map| {
                let (min, max, mean) = map.stats();
                vec![
                    map.name.clone(),
                    map.kind.type_name().to_string(),
                    format!("{:?}", map.item_shape()),
                    format!("{min:.4}"),
                    format!("{max:.4}"),
                    format!("{mean:.4}"),
                ]
            })
            .collect();
        page.section("Layers")
            .paragraph("The real output of every layer for this one input (docs/FEATURE_MAPS.md says how to read the pictures).")
            .table(&["layer", "type", "shape", "min", "max", "mean"], rows);
        let pictures = page.section("Pictures");
        for (name, picture) in &written {
            pictures.image(name, picture, name)?;
        }
        let path = cli.out.join("report.html");
        page.save(&path)?;
        println!("wrote {}", path.display());
    }

    println!("{title}");
    for map in &maps.layers {
        let (min, max, mean) = map.stats();
        println!(
            "  {:<8} {:<10} {:<14} min {:>9.4}  max {:>9.4}  mean {:>9.4}",
            map.name,
            map.kind.type_name(),
            format!("{:?}", map.item_shape()),
            min,
            max,
            mean
        );
    }
    println!(
        "wrote {} pictures and feature_maps.json to {}",
        written.len(),
        cli.out.display()
    );
    Ok(())
}

fn load_model(
    cli: &Cli,
    device: &burn::tensor::Device,
) -> lenet::Result<(LeNet, Normalization, Architecture)> {
    match &cli.checkpoint {
        Some(path) => {
            let saved = SavedModel::load(path, cli.model.clone(), device)?;
            Ok((saved.model, saved.normalization, saved.architecture))
        }
        None => {
            let architecture = cli.model.clone().unwrap_or(Architecture::LENET5);
            eprintln!(
                "warning: no --checkpoint, so the weights are untrained (random, seed 0): \
                 the maps show what random filters do, not what a trained {architecture} sees"
            );
            let model = LeNetConfig::new(architecture.clone()).init_seeded(device, 0);
            Ok((model, Normalization::None, architecture))
        }
    }
}

fn load_input(
    cli: &Cli,
    normalization: Normalization,
    device: &burn::tensor::Device,
) -> lenet::Result<Input> {
    if let Some(path) = &cli.image {
        let digit =
            lenet::predict::prepare_image_file(path, &lenet::predict::Preprocess::default())?;
        let values: Vec<f32> = digit
            .pixels
            .iter()
            .map(|&v| normalization.apply_scaled(v))
            .collect();
        return Ok(Input {
            images: Tensor::from_data(
                TensorData::new(values, [1, 1, IMAGE_SIDE, IMAGE_SIDE]),
                device,
            ),
            source: path.display().to_string(),
            label: None,
        });
    }
    let index = cli.mnist_index.unwrap_or(0);
    let split = if cli.split == "train" {
        Split::Train
    } else {
        Split::Test
    };
    let data = load_split(cli, split)?;
    if index >= data.len() {
        return Err(lenet::Error::InvalidArgument(format!(
            "--mnist-index {index} is past the end of the {} split ({} images)",
            split.name(),
            data.len()
        )));
    }
    let batch = MnistBatcher::new(normalization).batch_from_split(&data, &[index], device);
    Ok(Input {
        images: batch.images,
        source: format!("MNIST {} #{index}", split.name()),
        label: Some(data.label(index)),
    })
}

fn load_split(cli: &Cli, split: Split) -> lenet::Result<MnistSplit> {
    let recorded = cli
        .checkpoint
        .as_deref()
        .and_then(common::recorded_data_dir);
    cli.data.load_split(split, recorded.as_deref())
}

fn report(
    cli: &Cli,
    architecture: Architecture,
    input: &Input,
    maps: &FeatureMaps,
    prediction: &Prediction,
) -> serde_json::Value {
    let layers: Vec<serde_json::Value> = maps
        .layers
        .iter()
        .map(|map| {
            let (min, max, mean) = map.stats();
            json!({
                "name": map.name,
                "kind": map.kind,
                "index": map.index,
                "shape": map.item_shape(),
                "min": min,
                "max": max,
                "mean": mean,
            })
        })
        .collect();
    json!({
        "model": architecture.name(),
        "checkpoint": cli.checkpoint.as_deref().map(Path::to_string_lossy),
        "trained": cli.checkpoint.is_some(),
        "input": input.source,
        "label": input.label,
        "predicted": prediction.class,
        "probabilities": prediction.probabilities,
        "layers": layers,
    })
}
