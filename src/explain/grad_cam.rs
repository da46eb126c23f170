//! Grad-CAM: where in a hidden layer's map the evidence for a class is.

use burn::tensor::Tensor;
use serde::Serialize;

use super::{Explainer, Heatmap, host};
use crate::data::IMAGE_SIDE;
use crate::data::images_tensor;
use crate::model::{LayerStep, NoTap, ReceptiveField, Tap};
use crate::{Error, Result};

/// Grad-CAM of one class on one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradCam {
    /// The layer (`conv2`, `relu1`, `pool2`, …).
    pub layer: String,
    /// The class explained.
    pub class: usize,
    /// One weight per channel: the gradient of the class score with respect to
    /// the channel's map, averaged over the map's positions.
    pub weights: Vec<f32>,
    /// `max(0, Σ_channels weight · map)` on the layer's own `H × W` grid.
    pub map: Heatmap,
    /// `map` drawn over the 28×28 input: each map value sits at the centre of
    /// its receptive field, bilinear in between (clamped at the edges).
    pub on_input: Heatmap,
}

impl Explainer {
    /// Grad-CAM for `class` on `layer`, any layer before the flatten (a conv, a
    /// ReLU or a pool). `input` is 28 × 28 model inputs, row-major.
    pub fn grad_cam(&self, input: &[f32], layer: &str, class: usize) -> Result<GradCam> {
        self.check(input, class)?;
        let plan = self.model.architecture().plan();
        let maps: Vec<&crate::PlannedLayer> = plan
            .iter()
            .filter(|l| l.receptive_field.is_some())
            .collect();
        let planned = maps
            .iter()
            .find(|l| l.name.to_string() == layer)
            .ok_or_else(|| {
                let names: Vec<String> = maps.iter().map(|l| l.name.to_string()).collect();
                Error::InvalidArgument(format!(
                    "Grad-CAM needs a layer with a map (before the flatten): `{layer}` is not \
                     one; choose one of {}",
                    names.join(", ")
                ))
            })?;
        let field = planned.receptive_field.expect("filtered above");
        let [channels, height, width] = planned.output_shape[..] else {
            unreachable!("layers before the flatten output [C, H, W]")
        };

        let device = self.model.device();
        let mut keep = KeepOutput {
            index: planned.index,
            output: None,
        };
        self.model
            .forward_observed(images_tensor(input.to_vec(), 1, &device), &mut keep);
        let activations = keep.output.expect("the walk passes every layer");
        let leaf = activations.clone().autodiff().require_grad();
        let logits = self
            .differentiable
            .forward_from(planned.index + 1, leaf.clone(), &mut NoTap);
        let gradients = logits.slice([0..1, class..class + 1]).sum().backward();
        let gradient = host(
            leaf.grad(&gradients)
                .expect("the leaf requires its gradient"),
        );
        let activations = host(activations);

        let positions = height * width;
        let weights: Vec<f32> = gradient
            .chunks_exact(positions)
            .map(|g| g.iter().sum::<f32>() / positions as f32)
            .collect();
        let mut cam = vec![0.0f32; positions];
        for (w, channel) in weights.iter().zip(activations.chunks_exact(positions)) {
            for (c, a) in cam.iter_mut().zip(channel) {
                *c += w * a;
            }
        }
        cam.iter_mut().for_each(|c| *c = c.max(0.0));
        debug_assert_eq!(weights.len(), channels);
        let map = Heatmap {
            height,
            width,
            values: cam,
        };
        let on_input = over_input(&map, &field);
        Ok(GradCam {
            layer: layer.to_string(),
            class,
            weights,
            map,
            on_input,
        })
    }
}

impl GradCam {
    /// The layer Grad-CAM is usually drawn on: the last convolution, else the
    /// last layer with a map; `None` for a network with none (straight to `fc`).
    ///
    /// ```
    /// use lenet::Architecture;
    /// use lenet::explain::GradCam;
    ///
    /// assert_eq!(GradCam::default_layer(&Architecture::LENET5).as_deref(), Some("conv2"));
    /// ```
    pub fn default_layer(architecture: &crate::Architecture) -> Option<String> {
        let plan = architecture.plan();
        let maps = || plan.iter().rev().filter(|l| l.receptive_field.is_some());
        maps()
            .find(|l| l.name.kind == crate::LayerKind::Conv2d)
            .or_else(|| maps().next())
            .map(|l| l.name.to_string())
    }
}

/// Keeps the output of the layer at `index` (as the 4-D map it is).
struct KeepOutput {
    index: usize,
    output: Option<Tensor<4>>,
}

impl Tap for KeepOutput {
    fn observe<const D: usize>(&mut self, step: &LayerStep<'_>, output: &Tensor<D>) {
        if step.index == self.index {
            let dims = output.dims();
            self.output = Some(output.clone().reshape([dims[0], dims[1], dims[2], dims[3]]));
        }
    }
}

/// `map` resampled onto the input's pixels through the layer's receptive field.
fn over_input(map: &Heatmap, field: &ReceptiveField) -> Heatmap {
    // Map row y's field is centred at input coordinate field.centre(y); input
    // pixel p's centre is p + 0.5. Its place on the map's grid is fractional.
    let place = |p: usize, len: usize| {
        let u = (p as f32 + 0.5 - field.centre(0)) / field.jump as f32;
        let u = u.clamp(0.0, (len - 1) as f32);
        let low = u.floor() as usize;
        let high = (low + 1).min(len - 1);
        (low, high, u - low as f32)
    };
    let mut values = Vec::with_capacity(IMAGE_SIDE * IMAGE_SIDE);
    for py in 0..IMAGE_SIDE {
        let (y0, y1, fy) = place(py, map.height);
        for px in 0..IMAGE_SIDE {
            let (x0, x1, fx) = place(px, map.width);
            let top = map.at(y0, x0) * (1.0 - fx) + map.at(y0, x1) * fx;
            let bottom = map.at(y1, x0) * (1.0 - fx) + map.at(y1, x1) * fx;
            values.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    Heatmap {
        height: IMAGE_SIDE,
        width: IMAGE_SIDE,
        values,
    }
}
