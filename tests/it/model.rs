//! The architectures: parameter counts, shapes, layer names, initialisation.

use crate::support::device;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use lenet::{Architecture, LayerKind, LayerStep, LeNet, LeNetConfig, Tap};

/// One observed layer: name, kind, walk index, output shape, output values.
type Observed = (String, LayerKind, usize, Vec<usize>, Vec<f32>);

/// Records every layer the walk passes.
#[derive(Default)]
struct Record(Vec<Observed>);

impl Tap for Record {
    fn observe<const D: usize>(&mut self, step: &LayerStep<'_>, output: &Tensor<D>) {
        self.0.push((
            step.name.to_string(),
            step.layer.kind(),
            step.index,
            output.dims().to_vec(),
            output.to_data().try_into_vec_as::<f32>().unwrap(),
        ));
    }
}

fn random_images(n: usize, device: &burn::tensor::Device) -> Tensor<4> {
    let values: Vec<f32> = (0..n * 784)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    Tensor::from_data(TensorData::new(values, [n, 1, 28, 28]), device)
}

#[test]
fn parameter_counts_match_the_tutorial() {
    let device = device();
    assert_eq!(
        LeNetConfig::new(Architecture::LENET5)
            .init(&device)
            .num_params(),
        61_706
    );
    assert_eq!(
        LeNetConfig::new(Architecture::EXTRA_CONV)
            .init(&device)
            .num_params(),
        30_378
    );
    // 156 + (1176·120 + 120) + (120·84 + 84) + (84·10 + 10)
    assert_eq!(
        LeNetConfig::new(Architecture::ONE_CONV)
            .init(&device)
            .num_params(),
        152_410
    );
}

#[test]
fn output_is_one_logit_per_class() {
    let device = device();
    for arch in Architecture::NAMED {
        let model = LeNetConfig::new(arch.clone()).init(&device);
        for n in [1, 3] {
            let logits = model.forward(random_images(n, &device));
            assert_eq!(logits.dims(), [n, 10], "{arch}");
            let values = logits.into_data().try_into_vec_as::<f32>().unwrap();
            assert!(values.iter().all(|v| v.is_finite()), "{arch}: {values:?}");
        }
    }
}

#[test]
fn layer_walk_names_match_pytorch_sequential_indices() {
    let device = device();
    let expected_lenet5 = [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2",
        "relu4", "fc3",
    ];
    let expected_extra = [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "flatten", "fc1",
        "relu4", "fc2", "relu5", "fc3",
    ];
    let expected_one = [
        "conv1", "relu1", "pool1", "flatten", "fc1", "relu2", "fc2", "relu3", "fc3",
    ];
    for (arch, expected, convs, linears) in [
        (
            Architecture::LENET5,
            &expected_lenet5[..],
            vec![0, 3],
            vec![7, 9, 11],
        ),
        (
            Architecture::EXTRA_CONV,
            &expected_extra[..],
            vec![0, 3, 6],
            vec![9, 11, 13],
        ),
        (
            Architecture::ONE_CONV,
            &expected_one[..],
            vec![0],
            vec![4, 6, 8],
        ),
    ] {
        let model = LeNetConfig::new(arch.clone()).init(&device);
        let mut record = Record::default();
        model.forward_observed(random_images(1, &device), &mut record);
        let names: Vec<&str> = record.0.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, expected, "{arch}");
        let indices: Vec<usize> = record.0.iter().map(|r| r.2).collect();
        assert_eq!(indices, (0..expected.len()).collect::<Vec<_>>());
        let of_kind = |kind| -> Vec<usize> {
            record
                .0
                .iter()
                .filter(|r| r.1 == kind)
                .map(|r| r.2)
                .collect()
        };
        // The PyTorch fixtures' state_dict keys: net.<index>.weight.
        assert_eq!(of_kind(LayerKind::Conv2d), convs, "{arch}");
        assert_eq!(of_kind(LayerKind::Linear), linears, "{arch}");
    }
}

#[test]
fn shapes_are_the_models_real_ones() {
    let device = device();
    let model = LeNetConfig::new(Architecture::EXTRA_CONV).init(&device);
    let mut record = Record::default();
    model.forward_observed(random_images(2, &device), &mut record);
    let shape_of = |name: &str| record.0.iter().find(|r| r.0 == name).unwrap().3.clone();
    assert_eq!(shape_of("conv1"), vec![2, 6, 28, 28]);
    assert_eq!(shape_of("pool1"), vec![2, 6, 14, 14]);
    assert_eq!(shape_of("conv2"), vec![2, 16, 10, 10]);
    assert_eq!(shape_of("pool2"), vec![2, 16, 5, 5]);
    assert_eq!(shape_of("conv3"), vec![2, 32, 1, 1]);
    assert_eq!(shape_of("flatten"), vec![2, 32]);
    assert_eq!(shape_of("fc1"), vec![2, 120]);
}

#[test]
fn observed_forward_equals_forward_and_layers_compute_what_they_say() {
    let device = device();
    let model = LeNetConfig::new(Architecture::LENET5).init(&device);
    let images = random_images(2, &device);
    let plain = model
        .forward(images.clone())
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    let mut record = Record::default();
    let observed = model
        .forward_observed(images, &mut record)
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    // `forward` may run each conv stage fused (on Flex): the same sums in another
    // order, so equal to rounding; tests/it/fused_stage.rs checks that path in full.
    let worst = plain
        .iter()
        .zip(&observed)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1e-5,
        "forward and forward_observed differ by {worst:e}"
    );
    assert_eq!(
        record.0.last().unwrap().4,
        observed,
        "the last tap output is the logits"
    );
    // relu1 is conv1 clamped at zero; pool1 is the max of each 2×2 window of relu1.
    let conv1 = &record.0[0].4;
    let relu1 = &record.0[1].4;
    assert!(
        conv1.iter().any(|&v| v < 0.0),
        "conv1 has negative outputs to clamp"
    );
    for (c, r) in conv1.iter().zip(relu1) {
        assert_eq!(*r, c.max(0.0));
    }
    let pool1 = &record.0[2].4;
    let at = |img: usize, ch: usize, y: usize, x: usize| relu1[((img * 6 + ch) * 28 + y) * 28 + x];
    for (img, ch, y, x) in [(0, 0, 0, 0), (1, 5, 13, 13), (0, 3, 7, 2)] {
        let window = [
            at(img, ch, 2 * y, 2 * x),
            at(img, ch, 2 * y, 2 * x + 1),
            at(img, ch, 2 * y + 1, 2 * x),
            at(img, ch, 2 * y + 1, 2 * x + 1),
        ];
        let expected = window.iter().cloned().fold(f32::MIN, f32::max);
        assert_eq!(pool1[((img * 6 + ch) * 14 + y) * 14 + x], expected);
    }
}

#[test]
fn initialisation_follows_pytorch_defaults() {
    let device = device();
    device.seed(3);
    let model = LeNetConfig::new(Architecture::LENET5).init(&device);
    // PyTorch: weights and biases uniform in ±1/sqrt(fan_in).
    let check = |name: &str, values: Vec<f32>, fan_in: usize| {
        let bound = 1.0 / (fan_in as f32).sqrt();
        let max = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(max <= bound, "{name}: {max} > {bound}");
        if values.len() > 100 {
            assert!(
                max > 0.9 * bound,
                "{name}: draws should fill the range, max {max}"
            );
            // The mean of n uniform draws has sd bound/sqrt(3n); allow 5 sd.
            let mean = values.iter().sum::<f32>() / values.len() as f32;
            let sd = bound / (3.0 * values.len() as f32).sqrt();
            assert!(
                mean.abs() < 5.0 * sd,
                "{name}: mean {mean} should be near 0"
            );
        }
    };
    let fan_ins = [25, 150];
    for (conv, fan_in) in model.convolutions().zip(fan_ins) {
        check(
            "conv weight",
            conv.weight.val().into_data().try_into_vec_as().unwrap(),
            fan_in,
        );
        let bias = conv
            .bias
            .as_ref()
            .unwrap()
            .val()
            .into_data()
            .try_into_vec_as()
            .unwrap();
        check("conv bias", bias, fan_in);
    }
    for (linear, fan_in) in model.linears().zip([400, 120, 84]) {
        check(
            "linear weight",
            linear.weight.val().into_data().try_into_vec_as().unwrap(),
            fan_in,
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_weights() {
    let device = device();
    let outputs = |seed| {
        let model = LeNetConfig::new(Architecture::EXTRA_CONV).init_seeded(&device, seed);
        model
            .forward(random_images(1, &device))
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap()
    };
    assert_eq!(outputs(11), outputs(11));
    assert_ne!(outputs(11), outputs(12));
}

/// Seeded weights come from the crate's own generator, so every backend gets the same.
#[cfg(feature = "ndarray")]
#[test]
fn seeded_weights_are_the_same_on_every_backend() {
    let ndarray = lenet::device("ndarray").unwrap();
    let config = LeNetConfig::new(Architecture::LENET5);
    let a = config.init_seeded(&device(), 9).conv_kernels();
    let b = config.init_seeded(&ndarray, 9).conv_kernels();
    assert_eq!(a, b);
}

#[test]
fn architectures_parse_by_name_and_unknown_names_list_the_choices() {
    for arch in Architecture::NAMED {
        assert_eq!(arch.name().parse::<Architecture>().unwrap(), arch);
    }
    assert_eq!(
        "LeNet5".parse::<Architecture>().unwrap(),
        Architecture::LENET5
    );
    assert_eq!(
        "extra_conv".parse::<Architecture>().unwrap(),
        Architecture::EXTRA_CONV
    );
    let err = "resnet".parse::<Architecture>().unwrap_err().to_string();
    assert!(
        err.contains("resnet") && err.contains("lenet5") && err.contains("extra-conv"),
        "{err}"
    );
}

#[test]
fn config_round_trips_through_json() {
    use burn::config::Config;
    let config = LeNetConfig::new(Architecture::EXTRA_CONV);
    let json = serde_json::to_string(&config).unwrap();
    let back: LeNetConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back.architecture, Architecture::EXTRA_CONV);
    assert_eq!(back.num_classes(), 10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    config.save(&path).unwrap();
    assert_eq!(
        LeNetConfig::load(&path).unwrap().architecture,
        Architecture::EXTRA_CONV
    );
}

#[test]
fn unknown_or_disabled_devices_are_errors_listing_the_available_ones() {
    let err = lenet::device("tpu").unwrap_err().to_string();
    assert!(
        err.contains("tpu") && err.contains("flex") && err.contains("auto"),
        "{err}"
    );
    if !cfg!(feature = "wgpu") {
        let err = lenet::device("wgpu").unwrap_err().to_string();
        let (asked, available) = err.split_once("available in this build:").unwrap();
        assert!(
            asked.contains("wgpu") && !available.contains("wgpu"),
            "{err}"
        );
    }
    assert!(lenet::device("FLEX").is_ok(), "names are case-insensitive");
}

/// The same weights give the same outputs on every CPU backend compiled in.
#[cfg(feature = "ndarray")]
#[test]
fn ndarray_and_flex_agree_on_the_same_weights() {
    let flex = device();
    let ndarray = lenet::device("ndarray").unwrap();
    for arch in Architecture::NAMED {
        let model = LeNetConfig::new(arch.clone()).init(&flex);
        let on_ndarray = model.clone().to_device(&ndarray);
        let a = model
            .forward(random_images(3, &flex))
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        let b = on_ndarray
            .forward(random_images(3, &ndarray))
            .into_data()
            .try_into_vec_as::<f32>()
            .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() <= 1e-5 * (1.0 + x.abs()),
                "{arch}: {x} vs {y}"
            );
        }
    }
}

/// `save` and `load` agree on a path without an extension (both use `.bpk`).
#[test]
fn save_and_load_agree_on_a_bare_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = LeNetConfig::new(Architecture::LENET5);
    let model = config.init_seeded(&device(), 1);
    let bare = dir.path().join("weights");
    model.save(&bare).unwrap();
    assert!(dir.path().join("weights.bpk").is_file());
    let again = LeNet::load(&config, &bare, &device()).unwrap();
    let first = |m: &LeNet| m.convolutions().next().unwrap().weight.val();
    assert!(
        first(&model)
            .equal(first(&again))
            .all()
            .into_scalar::<bool>()
    );
}
