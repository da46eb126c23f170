//! Explanations from the gradient of the class score with respect to the input.

use burn::tensor::Tensor;

use super::{Explainer, Heatmap, host};
use crate::Result;
use crate::data::images_tensor;
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};

impl Explainer {
    /// The gradient of `class`'s score (its logit) with respect to each input
    /// pixel: how much the score rises per unit of that pixel, for a change
    /// small enough. Signed; draw its absolute value for the classic saliency
    /// map. One forward and one backward pass.
    ///
    /// `input` is 28 × 28 model inputs, row-major (normalised as the model was
    /// trained).
    pub fn saliency(&self, input: &[f32], class: usize) -> Result<Heatmap> {
        self.check(input, class)?;
        let gradient = self.input_gradients(input.to_vec(), 1, class);
        Ok(input_map(gradient))
    }

    /// Integrated gradients from a blank picture (every pixel
    /// [`background`](Self::background)) to `input`, over `steps` points of the
    /// straight path (midpoints, batched): for each pixel, its difference
    /// from the blank picture times the mean gradient along the path. The values
    /// add up to `score(input) − score(blank)` up to the error of the sum over
    /// `steps` (tests/it/explain.rs checks 1% at 256 steps; the explore app and the
    /// report use 16, for speed).
    pub fn integrated_gradients(
        &self,
        input: &[f32],
        class: usize,
        steps: usize,
    ) -> Result<Heatmap> {
        self.check(input, class)?;
        let steps = steps.max(1);
        let background = self.background;
        let mut path = Vec::with_capacity(steps * IMAGE_PIXELS);
        for step in 0..steps {
            let t = (step as f32 + 0.5) / steps as f32;
            path.extend(input.iter().map(|&v| background + t * (v - background)));
        }
        let gradients = self.input_gradients(path, steps, class);
        let mut values = vec![0.0f32; IMAGE_PIXELS];
        for image in gradients.chunks_exact(IMAGE_PIXELS) {
            for (sum, g) in values.iter_mut().zip(image) {
                *sum += g;
            }
        }
        for (value, &v) in values.iter_mut().zip(input) {
            *value *= (v - background) / steps as f32;
        }
        Ok(input_map(values))
    }

    /// The gradient of `class`'s score with respect to each of `n` images
    /// (`n × 784` values), in batches the explainer's memory allows: the
    /// gradient of a batch's summed score is each image's own gradient.
    pub(super) fn input_gradients(&self, images: Vec<f32>, n: usize, class: usize) -> Vec<f32> {
        debug_assert_eq!(images.len(), n * IMAGE_PIXELS);
        let device = self.model.device();
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(self.max_batch * IMAGE_PIXELS) {
            let n = chunk.len() / IMAGE_PIXELS;
            let images = images_tensor(chunk.to_vec(), n, &device)
                .autodiff()
                .require_grad();
            let logits = self.differentiable.forward(images.clone());
            let score = logits.slice([0..n, class..class + 1]).sum();
            let gradients = score.backward();
            let gradient: Tensor<4> = images
                .grad(&gradients)
                .expect("the input requires its gradient");
            out.extend(host(gradient));
        }
        out
    }
}

fn input_map(values: Vec<f32>) -> Heatmap {
    Heatmap {
        height: IMAGE_SIDE,
        width: IMAGE_SIDE,
        values,
    }
}
