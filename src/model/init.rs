//! The layers with weights, built as PyTorch builds them: its default
//! initialisation, drawn from Burn's generator or from the crate's own seeded one.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData};

use crate::rng::Rng;

/// PyTorch's default initialisation for `Conv2d` and `Linear`: weights and biases
/// uniform in ±1/√fan_in (Kaiming uniform with a = √5). Burn's gain 1/√3 gives the
/// same bound, written out here so the choice is visible and cannot drift.
pub(crate) fn pytorch_default_init() -> Initializer {
    Initializer::KaimingUniform {
        gain: 1.0 / 3.0f64.sqrt(),
        fan_out_only: false,
    }
}

/// `Conv2d(in_channels → channels, kernel×kernel, padding, stride)` with a bias.
pub(crate) fn conv2d(
    in_channels: usize,
    channels: usize,
    kernel: usize,
    padding: usize,
    stride: usize,
    device: &Device,
) -> Conv2d {
    let p = padding;
    Conv2dConfig::new([in_channels, channels], [kernel, kernel])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_stride([stride, stride])
        .with_initializer(pytorch_default_init())
        .init(device)
}

/// `Linear(inputs → features)` with a bias.
pub(crate) fn linear(inputs: usize, features: usize, device: &Device) -> Linear {
    LinearConfig::new(inputs, features)
        .with_initializer(pytorch_default_init())
        .init(device)
}

/// Replaces `param` with values uniform in ±1/√fan_in drawn from `rng` — the
/// same distribution as [`pytorch_default_init`], but from a stream that depends
/// only on the seed, not on the device or on other threads.
fn redraw<const D: usize>(
    param: &mut Param<Tensor<D>>,
    fan_in: usize,
    rng: &mut Rng,
    device: &Device,
) {
    let shape = param.lazy_shape();
    let bound = 1.0 / (fan_in as f32).sqrt();
    let values: Vec<f32> = (0..shape.num_elements())
        .map(|_| rng.uniform(-bound, bound))
        .collect();
    *param = Param::from_data(TensorData::new(values, shape), device);
}

/// Redraws a convolution's weights, then its bias, from `rng`.
pub(crate) fn redraw_conv2d(conv: &mut Conv2d, rng: &mut Rng, device: &Device) {
    let [_, in_per_group, kh, kw] = conv.weight.lazy_shape().dims::<4>();
    let fan_in = in_per_group * kh * kw;
    redraw(&mut conv.weight, fan_in, rng, device);
    if let Some(bias) = &mut conv.bias {
        redraw(bias, fan_in, rng, device);
    }
}

/// Redraws a linear layer's weights, then its bias, from `rng`.
pub(crate) fn redraw_linear(linear: &mut Linear, rng: &mut Rng, device: &Device) {
    let [fan_in, _] = linear.weight.lazy_shape().dims::<2>();
    redraw(&mut linear.weight, fan_in, rng, device);
    if let Some(bias) = &mut linear.bias {
        redraw(bias, fan_in, rng, device);
    }
}
