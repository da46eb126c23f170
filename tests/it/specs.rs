//! Architectures written as one-line specs: parsed and checked, counted as
//! PyTorch and torchinfo count them, computing what PyTorch computes for the same
//! weights (tests/fixtures/pytorch_specs.json, written by scripts/pytorch_specs.py
//! from its own parser), on every backend; fused and unfused Flex paths agree.

use crate::support;

use std::path::Path;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use lenet::model::pytorch_keys;
use lenet::{Architecture, Error, LeNet, LeNetConfig, Summary};

/// What the fixture file holds for one spec.
struct Case {
    spec: String,
    keys: Vec<(String, Vec<usize>)>,
    params: usize,
    mult_adds: u64,
    logits: Vec<f32>,
    probabilities: Vec<f32>,
}

fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytorch_specs.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let flat = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter())
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            spec: c["spec"].as_str().unwrap().to_string(),
            keys: c["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    let shape = k["shape"].as_array().unwrap();
                    (
                        k["key"].as_str().unwrap().to_string(),
                        shape.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
                    )
                })
                .collect(),
            params: c["params"].as_u64().unwrap() as usize,
            mult_adds: c["mult_adds"].as_u64().unwrap(),
            logits: flat(&c["logits"]),
            probabilities: flat(&c["probabilities"]),
        })
        .collect()
}

/// The fixture's inputs: pixel p of image n is 0.5 + 0.5 sin(0.05 (n + 1) p + n).
fn formula_inputs() -> Vec<f32> {
    (0..4)
        .flat_map(|n| {
            (0..784).map(move |p| {
                (0.5 + 0.5 * (0.05 * (n + 1) as f64 * p as f64 + n as f64).sin()) as f32
            })
        })
        .collect()
}

/// A `.safetensors` file of `keys` (in PyTorch's order) with the fixture's
/// formula weights: 3 sin(0.731 j + 1.37 t) / √fan_in for element j of tensor t.
fn write_formula_safetensors(path: &Path, keys: &[(String, Vec<usize>)]) {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (t, (key, shape)) in keys.iter().enumerate() {
        let weight_shape = if key.ends_with("bias") {
            let weight = key.trim_end_matches("bias").to_string() + "weight";
            &keys.iter().find(|(k, _)| *k == weight).unwrap().1
        } else {
            shape
        };
        let fan_in = weight_shape[1..].iter().product::<usize>() as f64;
        let n: usize = shape.iter().product();
        let start = data.len();
        for j in 0..n {
            let v = 3.0 * (0.731 * j as f64 + 1.37 * t as f64).sin() / fan_in.sqrt();
            data.extend_from_slice(&(v as f32).to_le_bytes());
        }
        header.insert(
            key.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut header = serde_json::to_vec(&header).unwrap();
    header.resize(header.len().next_multiple_of(8), b' ');
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header);
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// Within 1e-4 of PyTorch's values (the one rule of `support::numbers`).
fn assert_close(got: &[f32], want: &[f32], what: &str) {
    support::assert_close(what, want, got, 1e-4);
}

#[test]
fn specs_count_params_mult_adds_and_keys_as_pytorch_and_torchinfo() {
    for case in cases() {
        let arch: Architecture = case.spec.parse().unwrap();
        assert_eq!(arch.spec(), case.spec);
        let summary = Summary::of_architecture(&arch, 1);
        assert_eq!(summary.total_params, case.params, "{}", case.spec);
        assert_eq!(summary.total_mult_adds, case.mult_adds, "{}", case.spec);
        let keys: Vec<(String, Vec<usize>)> = pytorch_keys(&arch)
            .into_iter()
            .map(|k| (k.key, k.shape))
            .collect();
        assert_eq!(keys, case.keys, "{}", case.spec);
        let device = lenet::device("flex").unwrap();
        let model = LeNetConfig::new(arch.clone()).init(&device);
        assert_eq!(model.num_params(), case.params, "{}", case.spec);
    }
}

#[test]
fn the_named_architectures_count_as_torchinfo() {
    // torchinfo 1.8 on the tutorial's nn.Sequential: 61,706 params, 423,038 mult-adds.
    let lenet5 = Summary::of_architecture(&Architecture::LENET5, 1);
    assert_eq!(
        (lenet5.total_params, lenet5.total_mult_adds),
        (61_706, 423_038)
    );
}

#[test]
fn specs_load_from_pytorch_weights_and_compute_what_pytorch_computes() {
    let dir = tempfile::tempdir().unwrap();
    let pixels = formula_inputs();
    for case in cases() {
        let arch: Architecture = case.spec.parse().unwrap();
        let path = dir.path().join("formula.safetensors");
        write_formula_safetensors(&path, &case.keys);
        for (choice, device) in support::every_backend("specs_load_from_pytorch_weights") {
            let model = LeNet::load_safetensors(&path, Some(&arch), &device).unwrap();
            let images =
                Tensor::<4>::from_data(TensorData::new(pixels.clone(), [4, 1, 28, 28]), &device);
            let logits = model.forward(images);
            let what = format!("{} on {choice}", case.spec);
            assert_close(&support::floats(logits.clone()), &case.logits, &what);
            let probabilities = burn::tensor::activation::softmax(logits, 1);
            assert_close(&support::floats(probabilities), &case.probabilities, &what);

            // Written back, the file rebuilds itself: its metadata names the spec.
            let again = dir.path().join("again.safetensors");
            model.save_safetensors(&again).unwrap();
            let back = LeNet::load_safetensors(&again, None, &device).unwrap();
            assert_eq!(back.architecture(), &arch, "{what}");
            assert_eq!(back.conv_kernels(), model.conv_kernels(), "{what}");
        }
    }
}

#[test]
fn a_spec_file_without_its_spec_needs_the_caller_to_say() {
    let dir = tempfile::tempdir().unwrap();
    let case = &cases()[0];
    let path = dir.path().join("bare.safetensors");
    write_formula_safetensors(&path, &case.keys);
    let device = lenet::device("flex").unwrap();
    let error = LeNet::load_safetensors(&path, None, &device).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("bare.safetensors") && text.contains("spec"),
        "{text}"
    );
    // A named architecture the file is not: the keys say so.
    let error = LeNet::load_safetensors(&path, Some(&Architecture::LENET5), &device).unwrap_err();
    assert!(error.to_string().contains("lenet5"), "{error}");
}

/// The fused Flex stage (conv + ReLU + 2×2 pool in one operation, odd sizes
/// included) and Burn's own layers give the same outputs and gradients for
/// specs beyond the tutorial's.
#[test]
fn fused_and_unfused_flex_agree_on_specs() {
    let device = lenet::device("flex").unwrap().autodiff();
    let pixels = support::patterned_images(3);
    for spec in [
        "conv8k3p1-relu-pool-conv16k3-relu-pool-fc10",
        "conv8k4-relu-pool-conv8k3-relu-conv8k3p1-relu-conv12k3-relu-pool3-fc10",
        "conv4k7p3-relu-conv6k1-relu-pool-fc20-relu-fc10",
    ] {
        let arch: Architecture = spec.parse().unwrap();
        let model = LeNetConfig::new(arch.clone()).init_seeded(&device, 3);
        let run = |fused: bool| {
            let model = model.clone().with_fused_kernels(fused);
            let images =
                Tensor::<4>::from_data(TensorData::new(pixels.clone(), [3, 1, 28, 28]), &device);
            let logits = model.forward(images);
            let grads = logits.clone().powi_scalar(2).sum().backward();
            let conv = model.convolutions().next().unwrap();
            let grad = conv.weight.grad(&grads).unwrap();
            (
                support::floats(logits),
                grad.into_data().try_into_vec_as::<f32>().unwrap(),
            )
        };
        let (fused_logits, fused_grad) = run(true);
        let (plain_logits, plain_grad) = run(false);
        assert_close(&fused_logits, &plain_logits, spec);
        let worst = fused_grad
            .iter()
            .zip(&plain_grad)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst <= 1e-3, "{spec}: conv1 gradients differ by {worst}");
    }
}

#[test]
fn bad_specs_name_the_token_and_its_position() {
    for (spec, token, position, reason) in [
        (
            "conv6k5-relu-pool-conv16k15-fc10",
            "conv16k15",
            4,
            "larger than its input",
        ),
        ("conv0k5-fc10", "conv0k5", 1, "at least 1"),
        ("conv6k5-relu-pol-fc10", "pol", 3, "unknown layer"),
        ("conv6k5-relu-pool", "pool", 3, "last layer must be fc"),
        (
            "conv6k5-fc10-conv6k3-fc10",
            "conv6k3",
            3,
            "after the flatten",
        ),
        ("conv6k-fc10", "conv6k", 1, "kernel size is missing"),
        ("conv6k5--fc10", "", 2, "empty token"),
        ("conv6k5-pool25-fc10", "pool25", 2, "larger than its input"),
        ("fc2000000-fc10", "fc2000000", 1, "parameters"),
        ("conv6k5p99999-fc10", "conv6k5p99999", 1, "values per image"),
        // Sizes whose products overflow are refused, never wrapped around.
        (
            "conv1k1p9999999999999999999-fc10",
            "conv1k1p9999999999999999999",
            1,
            "values per image",
        ),
        (
            "conv1k4294967296p2147483648-fc10",
            "conv1k4294967296p2147483648",
            1,
            "parameters",
        ),
        (
            "conv1k1p2147483634-relu-fc10",
            "conv1k1p2147483634",
            1,
            "values per image",
        ),
        (
            "conv6k5-flatten-relu-fc10",
            "flatten",
            2,
            "just before the first fc",
        ),
        (
            "conv6k5s0-fc10",
            "conv6k5s0",
            1,
            "stride must be at least 1",
        ),
    ] {
        match spec.parse::<Architecture>() {
            Err(Error::InvalidSpec {
                token: t,
                position: p,
                reason: r,
                ..
            }) => {
                assert_eq!((t.as_str(), p), (token, position), "{spec}");
                assert!(r.to_string().contains(reason), "{spec}: {r}");
            }
            other => panic!("{spec}: {other:?}"),
        }
    }
    let error = "resnet".parse::<Architecture>().unwrap_err();
    assert!(
        matches!(error, Error::UnknownArchitecture { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("lenet5"), "{error}");
    // The classes the data has.
    let error = Architecture::LENET5
        .expect_classes(26)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("token 11 `fc10`") && error.contains("fc26"),
        "{error}"
    );
}

#[test]
fn spec_and_names_are_the_same_values() {
    for arch in Architecture::NAMED {
        let again: Architecture = arch.spec().parse().unwrap();
        assert_eq!(again.name(), arch.name());
        let json = serde_json::to_string(&arch).unwrap();
        assert_eq!(json, format!("\"{}\"", arch.name()));
    }
    let mine: Architecture = "CONV8k3p1-ReLU-pool-fc10".parse().unwrap();
    assert_eq!(mine.name(), "conv8k3p1-relu-pool-fc10");
    let json = serde_json::to_string(&mine).unwrap();
    assert_eq!(serde_json::from_str::<Architecture>(&json).unwrap(), mine);
    // PyTorch's index of the first fc in LeNet5 is 7 (the tutorial's net.7).
    let plan = Architecture::LENET5.plan();
    assert_eq!(plan[7].name.to_string(), "fc1");
    assert_eq!(plan[6].name.to_string(), "flatten");
}

#[test]
fn the_sweep_grid_is_every_depth_width_and_kernel() {
    use lenet::compare::Sweep;
    let all = Sweep::default().architectures().unwrap();
    assert_eq!(all.len(), 24);
    let distinct: std::collections::HashSet<&Architecture> = all.iter().collect();
    assert_eq!(distinct.len(), 24, "no two alike");
    // Four stages halve 28×28 to 1×1; the widest has 128 channels there.
    let deepest = all.last().unwrap();
    assert_eq!(
        deepest.spec(),
        "conv12k5p2-relu-pool-conv32k5p2-relu-pool-conv64k5p2-relu-pool-conv128k5p2-relu-pool-fc120-relu-fc84-relu-fc10"
    );
    let flatten = deepest
        .plan()
        .into_iter()
        .find(|l| l.name.to_string() == "flatten")
        .unwrap();
    assert_eq!(flatten.input_shape, vec![128, 1, 1]);
    for bad in [
        Sweep {
            depths: vec![5],
            ..Sweep::default()
        },
        Sweep {
            kernels: vec![4],
            ..Sweep::default()
        },
        Sweep {
            widths: vec![0.0],
            ..Sweep::default()
        },
    ] {
        assert!(bad.architectures().is_err(), "{bad:?}");
    }
}

#[test]
fn layers_built_in_code_are_checked_as_specs_are() {
    use lenet::LayerSpec;
    let conv = |stride| LayerSpec::Conv2d {
        channels: 4,
        kernel: 3,
        padding: 0,
        stride,
    };
    for (layers, position, reason) in [
        (
            vec![conv(0), LayerSpec::Linear { features: 10 }],
            1,
            "stride",
        ),
        (
            vec![
                conv(1),
                LayerSpec::MaxPool2d { kernel: 0 },
                LayerSpec::Linear { features: 10 },
            ],
            2,
            "window",
        ),
        (
            vec![
                conv(1),
                LayerSpec::Flatten,
                LayerSpec::Linear { features: 0 },
            ],
            2,
            "features",
        ),
        (vec![], 1, "no layers"),
    ] {
        match Architecture::new(layers.clone()) {
            Err(Error::InvalidSpec {
                position: p,
                reason: r,
                ..
            }) => {
                assert_eq!(p, position, "{layers:?}");
                assert!(r.to_string().contains(reason), "{layers:?}: {r}");
            }
            other => panic!("{layers:?}: {other:?}"),
        }
    }
    assert!(Architecture::LENET5.with_classes(0).is_err());
}

#[test]
fn a_file_recorded_as_one_spec_is_not_loaded_as_another() {
    // Same keys and shapes, another pool: only the recorded spec tells them apart.
    let dir = tempfile::tempdir().unwrap();
    let device = lenet::device("flex").unwrap();
    let avg: Architecture =
        "conv6k5p2-relu-avgpool-conv16k5-relu-avgpool-fc120-relu-fc84-relu-fc10"
            .parse()
            .unwrap();
    let path = dir.path().join("avg.safetensors");
    LeNetConfig::new(avg.clone())
        .init_seeded(&device, 1)
        .save_safetensors(&path)
        .unwrap();
    let error = LeNet::load_safetensors(&path, Some(&Architecture::LENET5), &device).unwrap_err();
    assert!(error.to_string().contains("avgpool"), "{error}");
    let back = LeNet::load_safetensors(&path, None, &device).unwrap();
    assert_eq!(back.architecture(), &avg);
}
