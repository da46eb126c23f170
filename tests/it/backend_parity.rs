//! Every backend gives the same numbers: Flex, NdArray and WGPU (a GPU, or Mesa's
//! software Vulkan driver; with `--features wgpu`, which CI leaves out) run the same weights on the same images and agree
//! on the forward pass, every layer's feature map and one Adam step.
//!
//! The weights are written once (from Flex) and loaded on every device, so a
//! difference can only come from the backends' arithmetic.
//!
//! Tolerance: `max |a − b| / max(1, max |a|) ≤ 1e-4` per tensor, with `a` the
//! Flex result. Float sums in another order differ by ~1e-6 here; 1e-4 leaves room
//! for a GPU's fused multiply-adds without letting a wrong kernel through.

use crate::support;

use burn::tensor::Device;
use lenet::data::MnistBatch;
use lenet::train::Stepper;
use lenet::{Architecture, DeviceChoice, LeNet, LeNetConfig};

const TOLERANCE: f32 = 1e-4;
const BATCH: usize = 16;

/// Named flat tensors.
type Named = Vec<(String, Vec<f32>)>;

/// Every weight and bias, in the layer walk's order.
fn parameters(model: &LeNet) -> Named {
    let mut out = Vec::new();
    for (i, conv) in model.convolutions().enumerate() {
        out.push((
            format!("conv{}.weight", i + 1),
            support::floats(conv.weight.val().flatten::<1>(0, 3)),
        ));
        if let Some(bias) = &conv.bias {
            out.push((format!("conv{}.bias", i + 1), support::floats(bias.val())));
        }
    }
    for (i, linear) in model.linears().enumerate() {
        out.push((
            format!("fc{}.weight", i + 1),
            support::floats(linear.weight.val().flatten::<1>(0, 1)),
        ));
        if let Some(bias) = &linear.bias {
            out.push((format!("fc{}.bias", i + 1), support::floats(bias.val())));
        }
    }
    out
}

/// One set of weights per architecture, written by Flex and loaded on `device`.
fn shared_weights(architecture: Architecture, dir: &std::path::Path, device: &Device) -> LeNet {
    let path = dir.join(format!("{}.safetensors", architecture.name()));
    if !path.exists() {
        let flex = lenet::device("flex").unwrap();
        LeNetConfig::new(architecture.clone())
            .init_seeded(&flex, 7)
            .save_safetensors(&path)
            .unwrap();
    }
    LeNet::load_safetensors(&path, Some(&architecture), device).unwrap()
}

/// `other` against Flex's `reference` within [`TOLERANCE`] (the one rule of
/// `support::numbers`).
fn assert_close(what: &str, backend: DeviceChoice, reference: &[f32], other: &[f32]) -> f32 {
    support::assert_close(
        &format!("{what} on {backend}, against flex"),
        reference,
        other,
        TOLERANCE,
    )
}

#[test]
fn forward_and_feature_maps_agree_on_every_backend() {
    let backends = support::every_backend("forward_and_feature_maps_agree_on_every_backend");
    assert!(
        backends.iter().any(|(b, _)| *b == DeviceChoice::Flex),
        "Flex, the reference, is always built"
    );
    let dir = tempfile::tempdir().unwrap();
    for architecture in Architecture::NAMED {
        let mut reference = None;
        for (backend, device) in &backends {
            let model = shared_weights(architecture.clone(), dir.path(), device);
            let maps = lenet::extract_feature_maps(&model, support::patterned_batch(BATCH, device));
            let logits = support::floats(
                model
                    .forward(support::patterned_batch(BATCH, device))
                    .flatten::<1>(0, 1),
            );
            let Some((ref_maps, ref_logits)) = &reference else {
                reference = Some((maps, logits));
                continue;
            };
            let mut worst = assert_close("forward logits", *backend, ref_logits, &logits);
            let ref_maps: &lenet::FeatureMaps = ref_maps;
            assert_eq!(maps.layers.len(), ref_maps.layers.len());
            for (map, ref_map) in maps.layers.iter().zip(&ref_maps.layers) {
                assert_eq!(map.name, ref_map.name);
                assert_eq!(map.shape, ref_map.shape, "{}", map.name);
                let what = format!("{architecture} {}", map.name);
                worst = worst.max(assert_close(&what, *backend, &ref_map.values, &map.values));
            }
            eprintln!(
                "{architecture} on {backend}: logits and {} feature maps within {worst:.1e} of flex",
                maps.layers.len()
            );
        }
    }
}

#[test]
fn one_adam_step_agrees_on_every_backend() {
    let backends = support::every_backend("one_adam_step_agrees_on_every_backend");
    let dir = tempfile::tempdir().unwrap();
    let labels: Vec<i64> = (0..BATCH as i64).map(|i| i % 10).collect();
    for architecture in Architecture::NAMED {
        let mut reference: Option<(f64, Named)> = None;
        for (backend, device) in &backends {
            let device = device.clone().autodiff();
            let model = shared_weights(architecture.clone(), dir.path(), &device);
            let before = parameters(&model);
            let mut stepper = Stepper::adam(model, 1e-8);
            let batch =
                MnistBatch::from_values(support::patterned_images(BATCH), labels.clone(), &device);
            let outcome = stepper.step(batch, 1e-3);
            assert!(outcome.updated, "{architecture} on {backend}: {outcome:?}");
            let after = parameters(stepper.model());
            let moved = before
                .iter()
                .zip(&after)
                .filter(|((_, b), (_, a))| b != a)
                .count();
            assert_eq!(moved, after.len(), "every tensor moved on {backend}");
            let Some((ref_loss, ref_after)) = &reference else {
                reference = Some((outcome.loss, after));
                continue;
            };
            let loss_diff = (outcome.loss - ref_loss).abs() / ref_loss.abs().max(1.0);
            assert!(
                loss_diff <= TOLERANCE as f64,
                "{architecture} loss on {backend}: {} vs flex {ref_loss}",
                outcome.loss
            );
            let mut worst = 0.0f32;
            for ((name, ref_values), (_, values)) in ref_after.iter().zip(&after) {
                let what = format!("{architecture} {name} after one step");
                worst = worst.max(assert_close(&what, *backend, ref_values, values));
            }
            eprintln!(
                "{architecture} on {backend}: loss {:.6} (flex {ref_loss:.6}), updated weights within {worst:.1e}",
                outcome.loss
            );
        }
    }
}

#[test]
fn the_same_checkpoint_predicts_the_same_classes_on_every_backend() {
    let Some(dir) =
        support::real_mnist_dir("the_same_checkpoint_predicts_the_same_classes_on_every_backend")
    else {
        return;
    };
    let backends =
        support::every_backend("the_same_checkpoint_predicts_the_same_classes_on_every_backend");
    let test = lenet::data::MnistSplit::load(&dir, lenet::data::Split::Test).unwrap();
    let n = 500;
    let batcher = lenet::data::MnistBatcher::new(lenet::data::Normalization::None);
    let indices: Vec<usize> = (0..n).collect();
    let weights = tempfile::tempdir().unwrap();
    let mut reference: Option<Vec<usize>> = None;
    for (backend, device) in &backends {
        let model = shared_weights(Architecture::LENET5, weights.path(), device);
        let images = batcher.batch_from_split(&test, &indices, device).images;
        let classes: Vec<usize> = model
            .forward(images)
            .argmax(1)
            .flatten::<1>(0, 1)
            .into_data()
            .try_into_vec_as::<i64>()
            .unwrap()
            .into_iter()
            .map(|c| c as usize)
            .collect();
        match &reference {
            None => reference = Some(classes),
            Some(expected) => {
                let differ = expected
                    .iter()
                    .zip(&classes)
                    .filter(|(a, b)| a != b)
                    .count();
                assert_eq!(
                    differ, 0,
                    "{backend} and flex disagree on {differ} of {n} images"
                );
                eprintln!("{backend}: the same class as flex on all {n} MNIST test images");
            }
        }
    }
}

/// A short real training run reaches the same test accuracy on every backend
/// (within one point), with the images on the device where the backend is a GPU
/// and the loss read back once per epoch (50 steps, `log_every` 100).
#[test]
fn one_epoch_on_every_backend_reaches_flexs_accuracy() {
    let test_name = "one_epoch_on_every_backend_reaches_flexs_accuracy";
    let Some(dir) = support::real_mnist_dir(test_name) else {
        return;
    };
    let data = lenet::data::Mnist::load(&dir).unwrap();
    let config = lenet::train::Recipe::Tutorial
        .config(Architecture::LENET5)
        .with_epochs(1)
        .with_limit_train(Some(3200));
    let mut reference: Option<f64> = None;
    for (backend, device) in support::every_backend(test_name) {
        let started = std::time::Instant::now();
        let trained = support::train(&config, &data, &device).unwrap();
        let accuracy = trained.evaluation.accuracy;
        assert_eq!(trained.history.epochs[0].device_reads, 1, "{backend}");
        eprintln!(
            "{backend}: {:.2}% after 3,200 images ({:.1} s with the evaluation)",
            100.0 * accuracy,
            started.elapsed().as_secs_f64()
        );
        match reference {
            None => reference = Some(accuracy),
            Some(flex) => assert!(
                (accuracy - flex).abs() <= 0.01,
                "{backend}: {:.2}% against flex's {:.2}%",
                100.0 * accuracy,
                100.0 * flex
            ),
        }
    }
    assert!(
        reference.is_some_and(|a| a > 0.7),
        "it learned: {reference:?}"
    );
}
