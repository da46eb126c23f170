//! The fused convolution stage (Flex's fast path: conv + bias + ReLU + max-pool as
//! one operation with its own backward) computes what Burn's separate layers do.
//!
//! `LeNet::forward` takes the fused path on Flex; `forward_observed` with a tap
//! that looks at the layers cannot (it needs every layer's output), so the two
//! are the same model through two implementations. Checked: logits with and
//! without autodiff, and the gradient of every weight and bias and of the input,
//! for every named architecture and a few specs at the kernels' edges, and for
//! batch sizes that do not divide into the kernel's chunks.

use burn::tensor::{Tensor, TensorData};
use lenet::{Architecture, LayerStep, LeNetConfig, Tap};

use crate::support;

/// A tap that observes every layer (and so forces the unfused layers).
struct Observing;

impl Tap for Observing {
    fn observe<const D: usize>(&mut self, _: &LayerStep<'_>, _: &Tensor<D>) {}
}

/// Fused against Burn's layers, within 1e-5 (the one rule of `support::numbers`).
fn assert_close(what: &str, fused: &[f32], layers: &[f32]) {
    support::assert_close(what, layers, fused, 1e-5);
}

/// The named architectures, and specs whose stages take the kernels' other ways:
/// 24 output channels (im2col forward, direct backward), 12 (a part-used second
/// vector of output channels on 8 lanes), and a 9×9 kernel padded by 4 on a 3×3
/// plane (im2col both ways, kernel columns that see no pixel).
fn architectures() -> Vec<Architecture> {
    let specs = [
        "conv8k3p1-relu-pool-conv24k3p1-relu-pool-fc10",
        "conv6k3-relu-pool-conv12k3-relu-pool-fc32-relu-fc10",
        "conv4k5-relu-pool-conv8k5-relu-pool-conv8k2-relu-conv32k9p4-relu-fc10",
    ];
    Architecture::NAMED
        .into_iter()
        .chain(specs.iter().map(|spec| spec.parse().unwrap()))
        .collect()
}

/// A loss whose gradient reaches every logit with a different weight.
fn loss(logits: Tensor<2>) -> Tensor<1> {
    let [batch, classes] = logits.dims();
    let weights: Vec<f32> = (0..batch * classes)
        .map(|i| ((i * 7919) % 23) as f32 / 23.0 - 0.4)
        .collect();
    let weights =
        Tensor::<2>::from_data(TensorData::new(weights, [batch, classes]), &logits.device());
    (logits * weights).sum()
}

#[test]
fn fused_logits_match_the_layers_with_and_without_autodiff() {
    let plain = lenet::device("flex").unwrap();
    for architecture in architectures() {
        for device in [plain.clone(), plain.clone().autodiff()] {
            let model = LeNetConfig::new(architecture.clone()).init_seeded(&device, 3);
            for batch in [1, 5, 37, 64] {
                let x = support::patterned_batch(batch, &device);
                let fused = support::floats(model.forward(x.clone()));
                let layers = support::floats(model.forward_observed(x, &mut Observing));
                assert_close(
                    &format!("{architecture} logits, batch {batch}"),
                    &fused,
                    &layers,
                );
            }
        }
    }
}

#[test]
fn fused_gradients_match_the_layers() {
    let device = lenet::device("flex").unwrap().autodiff();
    for architecture in architectures() {
        let model = LeNetConfig::new(architecture.clone()).init_seeded(&device, 5);
        for batch in [1, 37] {
            let run = |fused: bool| {
                let x = support::patterned_batch(batch, &device).require_grad();
                let logits = if fused {
                    model.forward(x.clone())
                } else {
                    model.forward_observed(x.clone(), &mut Observing)
                };
                let grads = loss(logits).backward();
                let mut out = vec![(
                    "input".to_string(),
                    support::floats(x.grad(&grads).unwrap()),
                )];
                for (i, conv) in model.convolutions().enumerate() {
                    let w = conv.weight.val().grad(&grads).unwrap();
                    let b = conv.bias.as_ref().unwrap().val().grad(&grads).unwrap();
                    out.push((format!("conv{}.weight", i + 1), support::floats(w)));
                    out.push((format!("conv{}.bias", i + 1), support::floats(b)));
                }
                for (i, linear) in model.linears().enumerate() {
                    let w = linear.weight.val().grad(&grads).unwrap();
                    out.push((format!("fc{}.weight", i + 1), support::floats(w)));
                }
                out
            };
            let (fused, layers) = (run(true), run(false));
            assert_eq!(fused.len(), layers.len());
            for ((name, a), (_, b)) in fused.iter().zip(&layers) {
                assert!(a.iter().any(|v| *v != 0.0), "{name}: some gradient flows");
                assert_close(&format!("{architecture} d{name}, batch {batch}"), a, b);
            }
        }
    }
}

/// The fast path really runs: `forward` computes the stages in another order
/// than Burn's layers, so some logits differ in their last bits (were the fused
/// path to switch itself off, every bit would agree and the tests above would
/// compare the layers with themselves).
#[test]
fn the_fused_path_is_what_forward_runs() {
    let device = lenet::device("flex").unwrap();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 3);
    assert!(
        model.fused_kernels(),
        "LENET_FUSED=0 is not set for the tests"
    );
    let x = support::patterned_batch(64, &device);
    let fused = support::floats(model.forward(x.clone()));
    let unfused = support::floats(model.clone().with_fused_kernels(false).forward(x.clone()));
    let layers = support::floats(model.forward_observed(x, &mut Observing));
    let differing = fused
        .iter()
        .zip(&layers)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    assert!(differing > 0, "forward gave the layers' bits exactly");
    // Switched off for one model, forward is Burn's layers, bit for bit.
    assert!(
        unfused
            .iter()
            .zip(&layers)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "with_fused_kernels(false) still ran the fused path"
    );
}
