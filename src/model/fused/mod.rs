//! A faster convolution stage for Burn's Flex CPU backend.
//!
//! A LeNet convolution stage (conv → ReLU → 2×2 max-pool) is three Burn operations,
//! each with its own pass over memory and its own backward; on Flex they cost more
//! than the rest of a training step (docs/PERFORMANCE.md). [`conv_stage`] runs the
//! whole stage as one operation with a hand-written backward ([`kernel`]) when the
//! tensors live on Flex — with autodiff (training) or without (evaluation) — and
//! declines otherwise, so every other backend keeps Burn's
//! own operations. Feature-map extraction never comes here: it needs every layer's
//! output, which only the unfused path produces.
//!
//! A model runs it unless told not to ([`LeNet::with_fused_kernels`](crate::LeNet::with_fused_kernels)),
//! to measure what it gains or to rule it out when hunting a bug; `LENET_FUSED=0`
//! in the environment makes that the default for new models.

#[cfg(feature = "flex")]
mod kernel;
#[cfg(feature = "flex")]
mod node;

use std::sync::OnceLock;

/// Whether new models run their conv stages on Flex as one fused operation: yes,
/// unless the environment has `LENET_FUSED=0` (read once). Each model can say
/// otherwise ([`LeNet::with_fused_kernels`](crate::LeNet::with_fused_kernels));
/// nothing here changes once read. Other backends always use Burn's layers.
///
/// ```
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init(&device);
/// assert_eq!(model.fused_kernels(), lenet::model::fused_kernels_by_default());
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn fused_kernels_by_default() -> bool {
    static DEFAULT: OnceLock<bool> = OnceLock::new();
    *DEFAULT.get_or_init(|| std::env::var("LENET_FUSED").map_or(true, |v| v.trim() != "0"))
}

#[cfg(feature = "flex")]
pub(crate) use fast::conv_stage;

#[cfg(feature = "flex")]
mod fast {
    use super::{kernel, node};
    use burn::backend::Flex;
    use burn::backend::autodiff::Autodiff;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::ops::{Backward, OpsKind};
    use burn::backend::flex::FlexTensor;
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2d;
    use burn::tensor::{DType, Device, GradientCheckpointingStrategy, Tensor, TensorData};

    use kernel::Geometry;
    use node::{ConvStageBackward, Saved};

    /// The training graph this fast path records into: Flex with autodiff and no
    /// gradient checkpointing (what [`Device::autodiff`] gives).
    type Training = Autodiff<Flex, NoCheckpointing>;

    /// Runs conv → ReLU → (a 2×2 max-pool with stride 2 if `pool`) on `x` as one
    /// operation, or returns `None` when the fast path does not apply (another
    /// backend or dtype; a convolution with stride, dilation, groups, asymmetric
    /// padding or no bias), and the caller runs Burn's layers.
    pub(crate) fn conv_stage(conv: &Conv2d, pool: bool, x: &Tensor<4>) -> Option<Tensor<4>> {
        let geometry = geometry_of(conv, pool, x)?;
        let weight = conv.weight.val();
        let bias = conv.bias.as_ref()?.val();
        let context = x.gradient_checkpointing_strategy();
        let same_context = [
            weight.gradient_checkpointing_strategy(),
            bias.gradient_checkpointing_strategy(),
        ]
        .iter()
        .all(|c| *c == context);
        let all_f32 = [weight.dtype(), bias.dtype()]
            .iter()
            .all(|&d| d == DType::F32);
        if !same_context || !all_f32 {
            return None;
        }
        // Cloning a tensor shares its storage; the conversions below consume the clone.
        match context {
            None => Some(inference(&geometry, x.clone(), weight, bias)),
            Some(GradientCheckpointingStrategy::Disabled) => {
                Some(training(&geometry, x.clone(), weight, bias))
            }
            Some(_) => None,
        }
    }

    /// The stage's sizes, if `conv` and `x` are a case the kernel handles.
    fn geometry_of(conv: &Conv2d, pool: bool, x: &Tensor<4>) -> Option<Geometry> {
        if x.device().without_autodiff() != Device::flex() || x.dtype() != DType::F32 {
            return None;
        }
        let padding = match conv.padding {
            PaddingConfig2d::Valid => 0,
            PaddingConfig2d::Explicit(top, left, bottom, right)
                if top == left && top == bottom && top == right =>
            {
                top
            }
            _ => return None,
        };
        let [out_channels, in_per_group, kh, kw] = conv.weight.lazy_shape().dims::<4>();
        let [batch, in_channels, height, width] = x.dims();
        let plain = conv.stride == [1, 1] && conv.dilation == [1, 1] && conv.groups == 1;
        let geometry = Geometry {
            batch,
            in_channels,
            height,
            width,
            out_channels,
            kernel: kh,
            padding,
            pool,
        };
        (plain && kh == kw && in_per_group == in_channels && batch > 0 && geometry.is_valid())
            .then_some(geometry)
    }

    fn inference(
        geometry: &Geometry,
        x: Tensor<4>,
        weight: Tensor<4>,
        bias: Tensor<1>,
    ) -> Tensor<4> {
        let [x, weight, bias] = [
            flex(x.try_into_primitive::<Flex>()),
            flex(weight.try_into_primitive::<Flex>()),
            flex(bias.try_into_primitive::<Flex>()),
        ];
        let forward = run_forward(geometry, &x, &weight, &bias);
        Tensor::from_primitive::<Flex>(output_tensor(geometry, forward.output))
    }

    fn training(
        geometry: &Geometry,
        x: Tensor<4>,
        weight: Tensor<4>,
        bias: Tensor<1>,
    ) -> Tensor<4> {
        let x = flex(x.try_into_primitive::<Training>());
        let weight = flex(weight.try_into_primitive::<Training>());
        let bias = flex(bias.try_into_primitive::<Training>());
        let nodes = [x.node(), weight.node(), bias.node()];
        let (x, weight, bias) = (
            x.into_primitive(),
            weight.into_primitive(),
            bias.into_primitive(),
        );
        let tracked = match ConvStageBackward
            .prepare::<NoCheckpointing>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let forward = run_forward(geometry, &x, &weight, &bias);
                let saved = Saved::new(*geometry, x, weight, forward.routes);
                prep.finish(saved, output_tensor(geometry, forward.output))
            }
            OpsKind::UnTracked(prep) => {
                let forward = run_forward(geometry, &x, &weight, &bias);
                prep.finish(output_tensor(geometry, forward.output))
            }
        };
        Tensor::from_primitive::<Training>(tracked)
    }

    fn run_forward(
        geometry: &Geometry,
        x: &FlexTensor,
        weight: &FlexTensor,
        bias: &FlexTensor,
    ) -> kernel::Forward {
        with_f32(x, |x| {
            with_f32(weight, |w| {
                with_f32(bias, |b| kernel::forward(geometry, x, w, b))
            })
        })
    }

    /// Unwraps a conversion [`geometry_of`] and [`conv_stage`] already checked.
    fn flex<T, E: std::fmt::Debug>(converted: Result<T, E>) -> T {
        converted.expect("the tensor's backend and dtype were checked before converting")
    }

    /// Calls `f` with the tensor's values, row-major (copying only when it is a view).
    pub(super) fn with_f32<R>(tensor: &FlexTensor, f: impl FnOnce(&[f32]) -> R) -> R {
        match tensor.as_slice::<f32>() {
            Some(values) => f(values),
            None => {
                let data = tensor.clone().into_data();
                f(data.as_slice::<f32>().expect("checked to be f32"))
            }
        }
    }

    fn output_tensor(geometry: &Geometry, values: Vec<f32>) -> FlexTensor {
        let shape = [
            geometry.batch,
            geometry.out_channels,
            geometry.out_height(),
            geometry.out_width(),
        ];
        FlexTensor::from_data(TensorData::new(values, shape))
    }
}
