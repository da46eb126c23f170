//! The lean core, used as a library user would: MNIST from a directory, a model,
//! every layer's feature maps of one test image. Exits non-zero if any step fails.

use std::path::PathBuf;
use std::process::ExitCode;

use lenet::data::Mnist;
use lenet::{Architecture, LeNetConfig};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: lean_client MNIST_DIR");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.full_message());
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path) -> lenet::Result<()> {
    let device = lenet::device("flex")?;
    let mnist = Mnist::load(dir)?;
    let model = LeNetConfig::new(Architecture::LENET5).init(&device);
    let maps = lenet::extract_feature_maps(&model, mnist.test.image_tensor(0, &device));
    // LeNet5's walk: 2 × (conv, relu, pool), flatten, fc, relu, fc, relu, fc.
    let conv1 = maps
        .get("conv1")
        .filter(|_| maps.layers.len() == 12)
        .ok_or_else(|| {
            lenet::Error::InvalidArgument(format!(
                "{} feature maps, not LeNet5's 12",
                maps.layers.len()
            ))
        })?;
    println!(
        "{} training and {} test images; {} layers observed; conv1 {:?}",
        mnist.train.len(),
        mnist.test.len(),
        maps.layers.len(),
        conv1.item_shape()
    );
    Ok(())
}
