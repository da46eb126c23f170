//! The lean core, used as a library user would: MNIST from a directory, a model,
//! every layer's feature maps of one test image. Exits non-zero if any step
//! fails; its test runs the same on the real MNIST beside the repository.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lenet::data::Mnist;
use lenet::{Architecture, LeNetConfig};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: lean_client MNIST_DIR");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {}", error.full_message());
            ExitCode::FAILURE
        }
    }
}

/// Loads MNIST from `dir` and observes every layer of LeNet5 on one test image.
fn run(dir: &Path) -> lenet::Result<String> {
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
    Ok(format!(
        "{} training and {} test images; {} layers observed; conv1 {:?}",
        mnist.train.len(),
        mnist.test.len(),
        maps.layers.len(),
        conv1.item_shape()
    ))
}

#[cfg(test)]
mod tests {
    /// The real MNIST: `$LENET_DATA_DIR`, else `../shared/data/mnist` beside the
    /// repository. Without it the test says so, and fails where
    /// `LENET_REQUIRE_MNIST` is set.
    #[test]
    fn the_lean_core_reads_real_mnist_and_every_layer() {
        let dir = std::env::var_os("LENET_DATA_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist")
            });
        if !dir.is_dir() {
            assert!(
                std::env::var_os("LENET_REQUIRE_MNIST").is_none(),
                "LENET_REQUIRE_MNIST is set but {} is not there",
                dir.display()
            );
            eprintln!("SKIPPED lean_client: no MNIST in {}", dir.display());
            return;
        }
        let line = super::run(&dir).unwrap_or_else(|e| panic!("{}", e.full_message()));
        assert!(
            line.starts_with("60000 training and 10000 test images; 12 layers"),
            "{line}"
        );
        println!("{line}");
    }
}
