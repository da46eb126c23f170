//! The pieces every architecture is built from: convolution stages and the
//! fully connected classifier.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::tensor::{Device, Tensor, TensorData};

use crate::rng::Rng;

use super::architecture::ConvSpec;
use super::layer::{Layer, Tap, Walk};

/// PyTorch's default initialisation for `Conv2d` and `Linear`: weights and biases
/// uniform in ±1/√fan_in (Kaiming uniform with a = √5). Burn's gain 1/√3 gives the
/// same bound, written out here so the choice is visible and cannot drift.
pub(crate) fn pytorch_default_init() -> Initializer {
    Initializer::KaimingUniform {
        gain: 1.0 / 3.0f64.sqrt(),
        fan_out_only: false,
    }
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

/// Conv → ReLU → optional 2×2 max-pool.
#[derive(Module, Debug)]
pub struct ConvStage {
    pub(crate) conv: Conv2d,
    pub(crate) activation: Relu,
    pub(crate) pool: Option<MaxPool2d>,
}

impl ConvStage {
    pub(crate) fn new(spec: &ConvSpec, device: &Device) -> Self {
        let p = spec.padding;
        let conv = Conv2dConfig::new(
            [spec.in_channels, spec.out_channels],
            [spec.kernel, spec.kernel],
        )
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_initializer(pytorch_default_init())
        .init(device);
        Self {
            conv,
            activation: Relu::new(),
            pool: spec.pool.then(|| MaxPool2dConfig::new([2, 2]).init()),
        }
    }

    pub(crate) fn redraw(&mut self, rng: &mut Rng, device: &Device) {
        let [_, in_per_group, kh, kw] = self.conv.weight.lazy_shape().dims::<4>();
        let fan_in = in_per_group * kh * kw;
        redraw(&mut self.conv.weight, fan_in, rng, device);
        if let Some(bias) = &mut self.conv.bias {
            redraw(bias, fan_in, rng, device);
        }
    }

    pub(crate) fn forward_observed<T: Tap>(
        &self,
        x: Tensor<4>,
        walk: &mut Walk<'_, T>,
    ) -> Tensor<4> {
        #[cfg(feature = "flex")]
        if !T::OBSERVES
            && let Some(output) = super::fused::conv_stage(&self.conv, self.pool.as_ref(), &x)
        {
            walk.pass(Layer::Conv2d(&self.conv));
            walk.pass(Layer::Relu);
            if let Some(pool) = &self.pool {
                walk.pass(Layer::MaxPool2d(pool));
            }
            return output;
        }
        let x = walk.step(Layer::Conv2d(&self.conv), self.conv.forward(x));
        let x = walk.step(Layer::Relu, self.activation.forward(x));
        match &self.pool {
            Some(pool) => walk.step(Layer::MaxPool2d(pool), pool.forward(x)),
            None => x,
        }
    }
}

/// Linear layers with a ReLU between each pair; the last one outputs the logits.
#[derive(Module, Debug)]
pub struct Classifier {
    pub(crate) layers: Vec<Linear>,
    pub(crate) activation: Relu,
}

impl Classifier {
    /// `widths` = input length, hidden widths..., number of classes.
    pub(crate) fn new(widths: &[usize], device: &Device) -> Self {
        let layers = widths
            .windows(2)
            .map(|pair| {
                LinearConfig::new(pair[0], pair[1])
                    .with_initializer(pytorch_default_init())
                    .init(device)
            })
            .collect();
        Self {
            layers,
            activation: Relu::new(),
        }
    }

    pub(crate) fn redraw(&mut self, rng: &mut Rng, device: &Device) {
        for linear in &mut self.layers {
            let [fan_in, _] = linear.weight.lazy_shape().dims::<2>();
            redraw(&mut linear.weight, fan_in, rng, device);
            if let Some(bias) = &mut linear.bias {
                redraw(bias, fan_in, rng, device);
            }
        }
    }

    pub(crate) fn forward_observed<T: Tap>(
        &self,
        x: Tensor<2>,
        walk: &mut Walk<'_, T>,
    ) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut x = x;
        for (i, linear) in self.layers.iter().enumerate() {
            x = walk.step(Layer::Linear(linear), linear.forward(x));
            if i < last {
                x = walk.step(Layer::Relu, self.activation.forward(x));
            }
        }
        x
    }
}
