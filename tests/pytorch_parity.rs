//! The tutorial's PyTorch checkpoints load into the Rust models and every layer
//! computes what PyTorch computed (fixtures in ../shared/fixtures/pytorch), on
//! every CPU backend compiled in. Plus the safetensors round trip.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use lenet::model::{load_pytorch, pytorch_keys};
use lenet::{Architecture, DeviceChoice, LeNet};

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

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_layer_matches_pytorch_on_every_cpu_backend() {
    let Some(dir) = fixtures("every_layer_matches_pytorch_on_every_cpu_backend") else {
        return;
    };
    for (file, name, arch) in [
        ("lenet5_state_dict.pth", "lenet5", Architecture::LeNet5),
        (
            "lenet5_extra_conv_state_dict.pth",
            "lenet5_extra_conv",
            Architecture::ExtraConv,
        ),
    ] {
        let reference = reference(&dir, name);
        for backend in DeviceChoice::compiled_backends()
            .into_iter()
            .filter(|d| *d != DeviceChoice::Wgpu)
        {
            let device = backend.device().unwrap();
            let model = load_pytorch(&dir.join(file), None, &device).unwrap();
            assert_eq!(model.architecture(), arch, "recognised from the keys");
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
                let diff = max_difference(&map.values, values);
                assert!(
                    diff <= TOLERANCE,
                    "{name} on {backend}: {} differs by {diff}",
                    map.name
                );
            }
            let diff = max_difference(&maps.logits, &reference.logits);
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
        Some(Architecture::LeNet5),
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
    let keys: Vec<String> = pytorch_keys(Architecture::ExtraConv)
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
    for arch in Architecture::ALL {
        let model = lenet::LeNetConfig::new(arch).init_seeded(&device, 3);
        let path = tmp.path().join(format!("{arch}.safetensors"));
        model.save_safetensors(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut names: Vec<&str> = file.names();
        names.sort();
        let mut expected: Vec<String> = pytorch_keys(arch).into_iter().map(|k| k.key).collect();
        expected.sort();
        assert_eq!(names, expected);
        let fc1 = pytorch_keys(arch)
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
        let back = LeNet::load_safetensors(&path, Some(arch), &device).unwrap();
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
