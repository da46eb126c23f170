//! The convolution stage's node in Burn's autodiff graph: what the forward pass
//! keeps, and the backward step that turns the output's gradient into gradients
//! for the input, the weight and the bias.

use std::sync::Arc;

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::flex::FlexTensor;
use burn::tensor::TensorData;

use super::fast::with_f32;
use super::kernel::{self, Geometry};

/// The backward step of [`conv_stage`](super::conv_stage); parents: input, weight, bias.
#[derive(Debug)]
pub(super) struct ConvStageBackward;

/// What the backward step needs: the input and weight (shared, not copied) and the
/// pool's winners, one byte per output element. The unfolded input is rebuilt
/// rather than kept: keeping it (8.8 MB a LeNet5 step, reused through a pool) was
/// measured no faster, since rebuilding a chunk in cache costs about what reading it
/// back from memory does.
#[derive(Debug, Clone)]
pub(super) struct Saved {
    geometry: Geometry,
    input: FlexTensor,
    weight: FlexTensor,
    routes: Arc<Vec<u8>>,
}

impl Saved {
    pub(super) fn new(
        geometry: Geometry,
        input: FlexTensor,
        weight: FlexTensor,
        routes: Vec<u8>,
    ) -> Self {
        Self {
            geometry,
            input,
            weight,
            routes: Arc::new(routes),
        }
    }
}

impl Backward<Flex, 3> for ConvStageBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_node, weight_node, bias_node] = ops.parents;
        let grad_output = grads.consume::<Flex>(&ops.node);
        let saved = ops.state;
        let g = saved.geometry;
        let gradients = with_f32(&saved.input, |x| {
            with_f32(&saved.weight, |w| {
                with_f32(&grad_output, |gy| {
                    kernel::backward(&g, x, w, &saved.routes, gy, input_node.is_some())
                })
            })
        });
        let tensor = |values: Vec<f32>, shape: Vec<usize>| {
            FlexTensor::from_data(TensorData::new(values, shape))
        };
        if let (Some(node), Some(values)) = (input_node, gradients.input) {
            let shape = vec![g.batch, g.in_channels, g.height, g.width];
            grads.register::<Flex>(node.id, tensor(values, shape));
        }
        if let Some(node) = weight_node {
            let shape = vec![g.out_channels, g.in_channels, g.kernel, g.kernel];
            grads.register::<Flex>(node.id, tensor(gradients.weight, shape));
        }
        if let Some(node) = bias_node {
            grads.register::<Flex>(node.id, tensor(gradients.bias, vec![g.out_channels]));
        }
    }
}
