//! The devices tests run on.

use burn::tensor::Device;
use lenet::DeviceChoice;

/// Flex, the reference backend every build has.
pub fn device() -> Device {
    lenet::device("flex").unwrap()
}

/// Every backend this build compiled, opened, with its name. A GPU backend whose
/// adapter cannot be opened is skipped with a printed reason, unless
/// `LENET_REQUIRE_WGPU` is set (with `--features wgpu` on a machine with a GPU
/// or Mesa's software Vulkan driver), where it fails the test instead.
pub fn every_backend(test: &str) -> Vec<(DeviceChoice, Device)> {
    let mut opened = Vec::new();
    for choice in DeviceChoice::compiled_backends() {
        if choice == DeviceChoice::Vulkan {
            continue; // the same adapter as `wgpu` where Vulkan is what WGPU picks
        }
        match choice.device() {
            Ok(device) => opened.push((choice, device)),
            Err(err) if std::env::var_os("LENET_REQUIRE_WGPU").is_some() => {
                panic!("{test}: LENET_REQUIRE_WGPU is set but {choice} cannot be opened: {err}")
            }
            Err(err) => eprintln!("SKIPPED {test} on {choice}: {err}"),
        }
    }
    opened
}
