//! extract_feature_maps: the model's true activations, selected by name or kind,
//! leaving the device once; and the pictures made from them.

use crate::support::device;

use burn::tensor::{Tensor, TensorData};
use lenet::features::LayerSelection;
use lenet::{Architecture, LayerKind, LeNetConfig};

fn digits(n: usize) -> Tensor<4> {
    let values: Vec<f32> = (0..n * 784)
        .map(|i| {
            let (x, y) = (i % 28, (i / 28) % 28);
            if (8..20).contains(&x) && (6..22).contains(&y) && (x + y + i / 784) % 3 != 0 {
                0.9
            } else {
                0.0
            }
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [n, 1, 28, 28]), &device())
}

#[test]
fn shapes_are_the_real_ones_for_both_models() {
    let expected_lenet5: &[(&str, &[usize])] = &[
        ("conv1", &[6, 28, 28]),
        ("relu1", &[6, 28, 28]),
        ("pool1", &[6, 14, 14]),
        ("conv2", &[16, 10, 10]),
        ("relu2", &[16, 10, 10]),
        ("pool2", &[16, 5, 5]),
        ("flatten", &[400]),
        ("fc1", &[120]),
        ("relu3", &[120]),
        ("fc2", &[84]),
        ("relu4", &[84]),
        ("fc3", &[10]),
    ];
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device(), 1);
    let maps = lenet::extract_feature_maps(&model, digits(2));
    let got: Vec<(&str, &[usize])> = maps
        .layers
        .iter()
        .map(|m| (m.name.as_str(), m.item_shape()))
        .collect();
    assert_eq!(got, expected_lenet5);
    assert_eq!(maps.input.shape, vec![2, 1, 28, 28]);

    let model = LeNetConfig::new(Architecture::EXTRA_CONV).init_seeded(&device(), 1);
    let maps = lenet::extract_feature_maps(&model, digits(1));
    assert_eq!(maps.get("conv3").unwrap().item_shape(), &[32, 1, 1]);
    assert_eq!(maps.get("relu3").unwrap().item_shape(), &[32, 1, 1]);
    assert_eq!(maps.get("flatten").unwrap().item_shape(), &[32]);
    assert_eq!(maps.get("fc3").unwrap().item_shape(), &[10]);
}

#[test]
fn activations_are_what_each_layer_computes() {
    for arch in Architecture::NAMED {
        let model = LeNetConfig::new(arch.clone()).init_seeded(&device(), 2);
        let images = digits(3);
        let logits = model
            .forward(images.clone())
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        let maps = lenet::extract_feature_maps(&model, images);
        // The maps come from Burn's layers one by one; `forward` may run a conv
        // stage fused (Flex): the same sums in another order, so equal to rounding.
        let worst = maps
            .logits
            .iter()
            .zip(&logits)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let scale = logits.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        assert!(
            worst <= 1e-5 * scale,
            "{arch}: logits equal forward's ({worst:e})"
        );
        assert_eq!(maps.layers.last().unwrap().values, maps.logits);
        for map in maps.layers.iter().filter(|m| m.kind == LayerKind::Relu) {
            assert!(map.values.iter().all(|&v| v >= 0.0), "{arch} {}", map.name);
        }
        // Each pool output is the max of its 2×2 window of the ReLU before it.
        for (pool, relu) in [("pool1", "relu1"), ("pool2", "relu2")] {
            let (Some(pool), Some(relu)) = (maps.get(pool), maps.get(relu)) else {
                assert_eq!(arch, Architecture::ONE_CONV, "only one-conv lacks pool2");
                continue;
            };
            let [n, c, h, w] = [pool.shape[0], pool.shape[1], pool.shape[2], pool.shape[3]];
            let (ih, iw) = (relu.shape[2], relu.shape[3]);
            for i in 0..n * c {
                for y in 0..h {
                    for x in 0..w {
                        let at = |yy: usize, xx: usize| relu.values[(i * ih + yy) * iw + xx];
                        let window = [
                            at(2 * y, 2 * x),
                            at(2 * y, 2 * x + 1),
                            at(2 * y + 1, 2 * x),
                            at(2 * y + 1, 2 * x + 1),
                        ];
                        let max = window.iter().cloned().fold(f32::MIN, f32::max);
                        assert_eq!(pool.values[(i * h + y) * w + x], max);
                    }
                }
            }
        }
        // Flatten is the last convolution stage's output, unchanged.
        let before = match arch.name() {
            "lenet5" => "pool2",
            "extra-conv" => "relu3",
            _ => "pool1",
        };
        assert_eq!(
            maps.get("flatten").unwrap().values,
            maps.get(before).unwrap().values
        );
    }
}

#[test]
fn layers_can_be_selected_by_name_or_kind() {
    let model = LeNetConfig::new(Architecture::EXTRA_CONV).init_seeded(&device(), 3);
    let all = lenet::extract_feature_maps(&model, digits(1));
    let convs = lenet::extract_feature_maps_with(&model, digits(1), &"conv".parse().unwrap());
    let names: Vec<&str> = convs.layers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["conv1", "conv2", "conv3"]);
    assert_eq!(
        convs.get("conv2").unwrap().values,
        all.get("conv2").unwrap().values
    );
    assert_eq!(convs.logits, all.logits);
    let some = lenet::extract_feature_maps_with(&model, digits(1), &"pool2, fc1".parse().unwrap());
    let names: Vec<&str> = some.layers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["pool2", "fc1"]);
    assert_eq!(
        "all".parse::<LayerSelection>().unwrap(),
        LayerSelection::All
    );
    let err = "conv9x".parse::<LayerSelection>().unwrap_err().to_string();
    assert!(err.contains("conv9x"), "{err}");
}

#[test]
fn kernels_are_the_conv_weights() {
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device(), 4);
    let kernels = model.conv_kernels();
    assert_eq!(kernels.len(), 2);
    assert_eq!(kernels[1].shape, [16, 6, 5, 5]);
    assert_eq!(kernels[1].weights.len(), 16 * 6 * 25);
    let conv1 = model.convolutions().next().unwrap();
    let weights = conv1
        .weight
        .val()
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    assert_eq!(kernels[0].weights, weights);
    assert_eq!(kernels[0].bias.len(), 6);
}

#[cfg(feature = "viz")]
#[test]
fn pictures_have_readable_sizes_and_show_something() {
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device(), 5);
    let maps = lenet::extract_feature_maps(&model, digits(1));
    let conv1 = lenet::viz::layer_grid(maps.get("conv1").unwrap(), 0);
    assert!(
        conv1.width() >= 6 * 84 && conv1.height() >= 84,
        "{:?}",
        conv1.dimensions()
    );
    let pool2 = lenet::viz::layer_grid(maps.get("pool2").unwrap(), 0);
    assert!(
        pool2.height() >= 2 * 80,
        "5×5 maps are enlarged: {:?}",
        pool2.dimensions()
    );
    let fc1 = lenet::viz::layer_grid(maps.get("fc1").unwrap(), 0);
    let sheet = lenet::viz::overview_sheet(&maps, 0, "test");
    let kernels = lenet::viz::kernel_grid(&model.conv_kernels()[1]);
    for picture in [
        &conv1,
        &pool2,
        &fc1,
        &sheet,
        &kernels,
        &lenet::viz::conv_means(&maps, 0),
    ] {
        let first = picture.get_pixel(0, 0);
        let colours: std::collections::HashSet<[u8; 3]> = picture.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 20,
            "a picture with {} colours",
            colours.len()
        );
        assert!(picture.pixels().any(|p| p != first));
    }
}

#[cfg(all(feature = "download", feature = "report"))]
#[test]
fn visualize_features_writes_pictures_and_json() {
    let data = tempfile::tempdir().unwrap();
    crate::support::write_synthetic_mnist(data.path(), 4, 4);
    let out = tempfile::tempdir().unwrap();
    let result = std::process::Command::new(crate::support::example_bin("visualize_features"))
        .args([
            "--model",
            "extra-conv",
            "--mnist-index",
            "2",
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--device",
            "flex",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains("untrained"),
        "warns about random weights: {stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("feature_maps.json")).unwrap())
            .unwrap();
    let layers = json["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 14);
    assert_eq!(layers[6]["name"], "conv3");
    assert_eq!(layers[6]["shape"], serde_json::json!([32, 1, 1]));
    assert_eq!(layers[0]["shape"], serde_json::json!([6, 28, 28]));
    for key in ["kind", "min", "max", "mean"] {
        assert!(!layers[3][key].is_null(), "{key}");
    }
    for file in [
        "overview.png",
        "conv_means.png",
        "conv1.png",
        "kernels_conv3.png",
        "fc3.png",
    ] {
        let picture = image::open(out.path().join(file)).unwrap();
        assert!(picture.width() > 100, "{file}");
    }
}
