//! The tutorial's PyTorch checkpoints load into the Rust models and every layer
//! computes what PyTorch computed (fixtures in ../shared/fixtures/pytorch), on
//! every backend compiled in (WGPU too with `--features wgpu`, on a GPU or Mesa's
//! software Vulkan driver).
//! Plus the safetensors round trip.

use crate::support;

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use lenet::model::{load_pytorch, pytorch_keys};
use lenet::{Architecture, LeNet};

const TOLERANCE: f32 = 1e-4;

fn fixtures(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/pytorch");
    if dir.join("lenet5_state_dict.pth").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIPPED {test}: no PyTorch fixtures in {}", dir.display());
        None
    }
}

struct Reference {
    input: Vec<f32>,
    layers: Vec<(usize, String, Vec<usize>, Vec<f32>)>,
    logits: Vec<f32>,
}

fn reference(dir: &Path, name: &str) -> Reference {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}_reference.json"))).unwrap())
            .unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    let layers = json["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["index"].as_u64().unwrap() as usize,
                l["layer"].as_str().unwrap().to_string(),
                l["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect(),
                floats(&l["values"]),
            )
        })
        .collect();
    Reference {
        input: floats(&json["input"]),
        layers,
        logits: floats(&json["logits"]),
    }
}

#[test]
fn every_layer_matches_pytorch_on_every_backend() {
    let Some(dir) = fixtures("every_layer_matches_pytorch_on_every_backend") else {
        return;
    };
    for (file, name, arch) in [
        ("lenet5_state_dict.pth", "lenet5", Architecture::LENET5),
        (
            "lenet5_extra_conv_state_dict.pth",
            "lenet5_extra_conv",
            Architecture::EXTRA_CONV,
        ),
    ] {
        let reference = reference(&dir, name);
        for (backend, device) in
            support::every_backend("every_layer_matches_pytorch_on_every_backend")
        {
            let model = load_pytorch(&dir.join(file), None, &device).unwrap();
            assert_eq!(model.architecture(), &arch, "recognised from the keys");
            let input = Tensor::<4>::from_data(
                TensorData::new(reference.input.clone(), [4, 1, 28, 28]),
                &device,
            );
            let maps = lenet::extract_feature_maps(&model, input);
            assert_eq!(maps.layers.len(), reference.layers.len());
            for (map, (index, kind, shape, values)) in maps.layers.iter().zip(&reference.layers) {
                assert_eq!(map.index, *index);
                assert_eq!(map.kind.type_name(), kind, "{name} net.{index}");
                assert_eq!(&map.shape, shape, "{name} net.{index}");
                let diff = support::difference(values, &map.values);
                assert!(
                    diff <= TOLERANCE,
                    "{name} on {backend}: {} differs by {diff}",
                    map.name
                );
            }
            let diff = support::difference(&reference.logits, &maps.logits);
            assert!(
                diff <= TOLERANCE,
                "{name} on {backend}: logits differ by {diff}"
            );
            eprintln!("{name} on {backend}: every layer within {TOLERANCE} of PyTorch");
        }
    }
}

#[test]
fn the_wrong_architecture_or_a_broken_file_is_a_clear_error() {
    let Some(dir) = fixtures("the_wrong_architecture_or_a_broken_file_is_a_clear_error") else {
        return;
    };
    let device = lenet::device("flex").unwrap();
    let err = load_pytorch(
        &dir.join("lenet5_extra_conv_state_dict.pth"),
        Some(&Architecture::LENET5),
        &device,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("extra-conv") && err.contains("not lenet5"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken.pth");
    let bytes = std::fs::read(dir.join("lenet5_state_dict.pth")).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).unwrap();
    let err = load_pytorch(&broken, None, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken.pth"), "{err}");
    std::fs::write(&broken, b"hello").unwrap();
    let err = load_pytorch(&broken, None, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken.pth"), "{err}");
}

#[test]
fn keys_come_from_the_layer_walk() {
    let keys: Vec<String> = pytorch_keys(&Architecture::EXTRA_CONV)
        .into_iter()
        .map(|k| k.key)
        .collect();
    let expected: Vec<String> = [0, 3, 6, 9, 11, 13]
        .iter()
        .flat_map(|i| [format!("net.{i}.weight"), format!("net.{i}.bias")])
        .collect();
    assert_eq!(keys, expected);
}

#[test]
fn safetensors_round_trip_keeps_pytorch_names_and_values() {
    let device = lenet::device("flex").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for arch in Architecture::NAMED {
        let model = lenet::LeNetConfig::new(arch.clone()).init_seeded(&device, 3);
        let path = tmp.path().join(format!("{arch}.safetensors"));
        model.save_safetensors(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut names: Vec<&str> = file.names();
        names.sort();
        let mut expected: Vec<String> = pytorch_keys(&arch).into_iter().map(|k| k.key).collect();
        expected.sort();
        assert_eq!(names, expected);
        let fc1 = pytorch_keys(&arch)
            .into_iter()
            .find(|k| k.shape.len() == 2)
            .unwrap();
        assert_eq!(
            file.tensor(&fc1.key).unwrap().shape(),
            &fc1.shape[..],
            "PyTorch's [out, in]"
        );
        let again = tmp.path().join(format!("{arch}-again.safetensors"));
        model.save_safetensors(&again).unwrap();
        assert!(
            std::fs::read(&again).unwrap() == bytes,
            "the same weights give the same bytes"
        );
        let back = LeNet::load_safetensors(&path, Some(&arch), &device).unwrap();
        let x = Tensor::<4>::ones([2, 1, 28, 28], &device);
        let a = model
            .forward(x.clone())
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        let b = back
            .forward(x)
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        assert_eq!(a, b, "{arch}");
    }
}

/// PyTorch's gradients for the fixtures' weights and images (sampled; written by
/// scripts/pytorch_gradients.py), against one backward pass here: the training
/// step is PyTorch's, not only the forward pass.
#[test]
fn one_backward_pass_matches_pytorchs_gradients() {
    let Some(dir) = fixtures("one_backward_pass_matches_pytorchs_gradients") else {
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/pytorch_gradients.json")).unwrap();
    let labels: Vec<i64> = expected["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_i64().unwrap())
        .collect();
    for (file, name, reference_name) in [
        ("lenet5_state_dict.pth", "lenet5", "lenet5"),
        (
            "lenet5_extra_conv_state_dict.pth",
            "extra-conv",
            "lenet5_extra_conv",
        ),
    ] {
        let want = &expected["models"][name];
        let input = reference(&dir, reference_name).input;
        for (backend, device) in
            support::every_backend("one_backward_pass_matches_pytorchs_gradients")
        {
            let device = device.autodiff();
            let model = load_pytorch(&dir.join(file), None, &device).unwrap();
            let images =
                Tensor::<4>::from_data(TensorData::new(input.clone(), [4, 1, 28, 28]), &device);
            let targets = Tensor::<1, burn::tensor::Int>::from_data(
                TensorData::new(labels.clone(), [labels.len()]),
                &device,
            );
            let loss = burn::nn::loss::CrossEntropyLossConfig::new()
                .init(&device)
                .forward(model.forward(images), targets);
            let loss_value = loss.clone().into_scalar::<f64>();
            let want_loss = want["loss"].as_f64().unwrap();
            assert!(
                (loss_value - want_loss).abs() < 1e-5,
                "{name} on {backend}: loss {loss_value} vs {want_loss}"
            );
            let grads = loss.backward();

            // Our gradients in PyTorch's layout, in PyTorch's key order.
            let mut ours: Vec<Vec<f32>> = Vec::new();
            let flat = support::floats::<1>;
            for conv in model.convolutions() {
                ours.push(flat(conv.weight.val().grad(&grads).unwrap().flatten(0, 3)));
                ours.push(flat(
                    conv.bias.as_ref().unwrap().val().grad(&grads).unwrap(),
                ));
            }
            for linear in model.linears() {
                // Burn stores [in, out]; PyTorch [out, in].
                let weight = linear.weight.val().grad(&grads).unwrap().transpose();
                ours.push(flat(weight.flatten(0, 1)));
                ours.push(flat(
                    linear.bias.as_ref().unwrap().val().grad(&grads).unwrap(),
                ));
            }
            let mut keys: Vec<(&String, &serde_json::Value)> =
                want["gradients"].as_object().unwrap().iter().collect();
            keys.sort_by_key(|(k, _)| {
                let index: usize = k.split('.').nth(1).unwrap().parse().unwrap();
                (index, k.ends_with("bias"))
            });
            assert_eq!(
                keys.len(),
                ours.len(),
                "{name}: one gradient per parameter tensor"
            );
            for ((key, want), got) in keys.iter().zip(&ours) {
                let norm = got.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
                let want_norm = want["norm"].as_f64().unwrap();
                assert!(
                    (norm - want_norm).abs() <= 1e-4 * want_norm.max(1e-3),
                    "{name} on {backend}: |∂L/∂{key}| = {norm}, PyTorch {want_norm}"
                );
                let scale = want_norm.max(1e-6) as f32;
                for (i, v) in want["indices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(want["values"].as_array().unwrap())
                {
                    let (i, v) = (i.as_u64().unwrap() as usize, v.as_f64().unwrap() as f32);
                    assert!(
                        (got[i] - v).abs() <= 1e-4 * scale,
                        "{name} on {backend}: ∂L/∂{key}[{i}] = {}, PyTorch {v}",
                        got[i]
                    );
                }
            }
            eprintln!(
                "{name} on {backend}: loss and all {} gradients match PyTorch",
                keys.len()
            );
        }
    }
}
