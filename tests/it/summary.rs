//! The summary table: shapes, parameters, multiply-adds (torchinfo's count, biases
//! included) and sizes, from the layer list.

use lenet::{Architecture, LayerKind, LeNetConfig, Summary};

fn summary(arch: Architecture, batch: usize) -> Summary {
    let device = lenet::device("flex").unwrap();
    Summary::with_batch(&LeNetConfig::new(arch.clone()).init(&device), batch)
}

#[test]
fn lenet5_rows_have_shapes_params_and_mult_adds() {
    let s = summary(Architecture::LENET5, 1);
    let rows: Vec<(&str, Vec<usize>, usize, u64)> = s
        .layers
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.output_shape.clone(),
                l.params,
                l.mult_adds,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("conv1", vec![1, 6, 28, 28], 156, 122_304),
            ("relu1", vec![1, 6, 28, 28], 0, 0),
            ("pool1", vec![1, 6, 14, 14], 0, 0),
            ("conv2", vec![1, 16, 10, 10], 2_416, 241_600),
            ("relu2", vec![1, 16, 10, 10], 0, 0),
            ("pool2", vec![1, 16, 5, 5], 0, 0),
            ("flatten", vec![1, 400], 0, 0),
            ("fc1", vec![1, 120], 48_120, 48_120),
            ("relu3", vec![1, 120], 0, 0),
            ("fc2", vec![1, 84], 10_164, 10_164),
            ("relu4", vec![1, 84], 0, 0),
            ("fc3", vec![1, 10], 850, 850),
        ]
    );
    assert_eq!(s.total_params, 61_706);
    assert_eq!(s.trainable_params, 61_706);
    assert_eq!(s.total_mult_adds, 423_038); // torchinfo 1.8 says the same
    assert_eq!(s.flops(), 846_076);
    assert_eq!(s.param_bytes(), 246_824);
    assert_eq!(s.input_bytes(), 3_136);
    let activations: u64 = 4704 * 2 + 1176 + 1600 * 2 + 400 * 2 + 120 * 2 + 84 * 2 + 10;
    assert_eq!(s.activation_bytes(), 2 * 4 * activations);
    assert_eq!(
        s.total_bytes(),
        s.input_bytes() + s.param_bytes() + s.activation_bytes()
    );
}

#[test]
fn extra_conv_summary_adds_conv3_and_shrinks_the_classifier() {
    let s = summary(Architecture::EXTRA_CONV, 1);
    let conv3 = s.layers.iter().find(|l| l.name == "conv3").unwrap();
    assert_eq!(conv3.output_shape, vec![1, 32, 1, 1]);
    assert_eq!(conv3.params, 12_832);
    assert_eq!(conv3.mult_adds, 12_832);
    assert_eq!(conv3.details, "16→32, 5×5");
    let fc1 = s.layers.iter().find(|l| l.name == "fc1").unwrap();
    assert_eq!((fc1.params, fc1.details.as_str()), (3_960, "32→120"));
    assert_eq!(s.total_params, 30_378);
    assert_eq!(
        s.total_mult_adds,
        122_304 + 241_600 + 12_832 + 3_960 + 10_164 + 850
    );
    assert_eq!(
        s.layers.iter().map(|l| l.params).sum::<usize>(),
        s.total_params
    );
}

#[test]
fn batch_scales_shapes_and_work_but_not_parameters() {
    let one = summary(Architecture::LENET5, 1);
    let four = summary(Architecture::LENET5, 4);
    assert_eq!(four.input_shape, [4, 1, 28, 28]);
    assert_eq!(four.layers[0].output_shape, vec![4, 6, 28, 28]);
    assert_eq!(four.total_mult_adds, 4 * one.total_mult_adds);
    assert_eq!(four.total_params, one.total_params);
    assert_eq!(four.activation_bytes(), 4 * one.activation_bytes());
}

#[test]
fn display_is_a_torchinfo_like_table() {
    let text = summary(Architecture::LENET5, 1).to_string();
    for needle in [
        "LeNet5 — input [1, 1, 28, 28]",
        "Layer",
        "Output shape",
        "Param #",
        "Mult-adds",
        "Total params: 61,706",
        "Trainable params: 61,706",
        "Non-trainable params: 0",
        "Total mult-adds: 423,038 (0.42 M)",
        "Total FLOPs: 846,076",
        "1 multiply-add = 2 FLOPs",
        "Params size (MB): 0.25",
        "MB = 10^6 bytes",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let conv1 = text.lines().find(|l| l.starts_with("conv1")).unwrap();
    for needle in [
        "Conv2d",
        "net.0",
        "1→6, 5×5, pad 2",
        "[1, 6, 28, 28]",
        "156",
        "122,304",
    ] {
        assert!(conv1.contains(needle), "missing {needle:?} in {conv1:?}");
    }
    let pool1 = text.lines().find(|l| l.starts_with("pool1")).unwrap();
    assert!(
        pool1.contains("2×2, stride 2") && pool1.contains("--"),
        "{pool1:?}"
    );
}

#[test]
fn summary_serialises_to_json() {
    let s = summary(Architecture::EXTRA_CONV, 1);
    let json: serde_json::Value = serde_json::to_value(&s).unwrap();
    assert_eq!(json["total_params"], 30_378);
    assert_eq!(json["layers"][6]["name"], "conv3");
    assert_eq!(json["layers"][6]["kind"], "Conv2d");
    assert_eq!(s.layers[6].kind, LayerKind::Conv2d);
}
