//! Occlusion: blank a patch of the input and see how much the class loses.

use burn::tensor::activation::softmax;
use serde::{Deserialize, Serialize};

use super::{Explainer, Heatmap, host};
use crate::data::images_tensor;
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::{Error, Result};

/// The patches occlusion blanks: `patch × patch` squares every `stride` pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occlusion {
    /// Side of the blanked square, in pixels.
    pub patch: usize,
    /// Pixels between neighbouring squares.
    pub stride: usize,
}

impl Default for Occlusion {
    /// 6×6 squares every 2 pixels: 144 patches, about a fifth of a stroke's
    /// length.
    fn default() -> Self {
        Self {
            patch: 6,
            stride: 2,
        }
    }
}

impl Explainer {
    /// For each input pixel, the mean fall in `class`'s probability when a patch
    /// covering it is blanked (set to [`background`](Self::background)):
    /// positive where the pixel supports the class, negative where hiding it
    /// helps. The patches run through the model in as few batches as the
    /// explainer's memory allows ([`with_memory`](Self::with_memory)).
    pub fn occlusion(&self, input: &[f32], class: usize, patches: Occlusion) -> Result<Heatmap> {
        self.check(input, class)?;
        let Occlusion { patch, stride } = patches;
        if patch == 0 || patch > IMAGE_SIDE || stride == 0 {
            return Err(Error::InvalidArgument(format!(
                "occlusion patches of {patch} pixels every {stride}: the patch must be 1 to \
                 {IMAGE_SIDE} pixels and the stride at least 1"
            )));
        }
        // Every pixel in at least one patch: the last square touches the edge.
        let mut starts: Vec<usize> = (0..=IMAGE_SIDE - patch).step_by(stride).collect();
        if starts.last() != Some(&(IMAGE_SIDE - patch)) {
            starts.push(IMAGE_SIDE - patch);
        }
        let squares: Vec<(usize, usize)> = starts
            .iter()
            .flat_map(|&y| starts.iter().map(move |&x| (y, x)))
            .collect();
        let mut batch = Vec::with_capacity((squares.len() + 1) * IMAGE_PIXELS);
        batch.extend_from_slice(input);
        for &(top, left) in &squares {
            let start = batch.len();
            batch.extend_from_slice(input);
            for row in top..top + patch {
                let row_start = start + row * IMAGE_SIDE;
                batch[row_start + left..row_start + left + patch].fill(self.background);
            }
        }
        let device = self.model.device();
        let classes = self.model.architecture().num_classes();
        let mut probabilities = Vec::with_capacity((squares.len() + 1) * classes);
        for images in batch.chunks(self.max_batch * IMAGE_PIXELS) {
            let n = images.len() / IMAGE_PIXELS;
            let logits = self
                .model
                .forward(images_tensor(images.to_vec(), n, &device));
            probabilities.extend(host(softmax(logits, 1)));
        }
        let original = probabilities[class];
        let mut fall = vec![0.0f32; IMAGE_PIXELS];
        let mut covered = vec![0u32; IMAGE_PIXELS];
        for (i, &(top, left)) in squares.iter().enumerate() {
            let drop = original - probabilities[(i + 1) * classes + class];
            for row in top..top + patch {
                for col in left..left + patch {
                    fall[row * IMAGE_SIDE + col] += drop;
                    covered[row * IMAGE_SIDE + col] += 1;
                }
            }
        }
        for (f, &c) in fall.iter_mut().zip(&covered) {
            *f /= c as f32; // every pixel is covered (above)
        }
        Ok(Heatmap {
            height: IMAGE_SIDE,
            width: IMAGE_SIDE,
            values: fall,
        })
    }
}
