//! Which input pixels a value of a feature map can see: its receptive field,
//! followed through the layer list as data (kernels, strides, padding), never by
//! running the model.

use serde::Serialize;

use super::spec::LayerSpec;

/// The square of input pixels that one value of a layer's `[C, H, W]` output
/// depends on. The value at row `y`, column `x` sees the input rows
/// `top + y·jump .. top + y·jump + size` and the same columns from `x`; parts
/// outside the 28×28 input are padding (zeros).
///
/// ```
/// use lenet::Architecture;
///
/// let plan = Architecture::LENET5.plan();
/// let conv2 = plan[3].receptive_field.unwrap(); // conv6k5p2 · relu · pool · conv16k5
/// assert_eq!((conv2.size, conv2.jump, conv2.top), (14, 2, -2));
/// assert_eq!(conv2.rows(0), (-2, 12)); // conv2's first row sees input rows -2..12
/// assert!(plan[7].receptive_field.is_none()); // fc1 sees everything
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReceptiveField {
    /// Side of the square, in input pixels.
    pub size: usize,
    /// Input pixels between neighbouring outputs (the product of the strides).
    pub jump: usize,
    /// First input row (and column) seen by output row (column) 0; negative
    /// where padding extends the field beyond the input.
    pub top: i64,
}

impl ReceptiveField {
    /// One input pixel: the field of the input itself.
    pub const INPUT: ReceptiveField = ReceptiveField {
        size: 1,
        jump: 1,
        top: 0,
    };

    /// Input rows (or columns) `start..end` seen by output row (column) `y`.
    pub fn rows(&self, y: usize) -> (i64, i64) {
        let start = self.top + (y * self.jump) as i64;
        (start, start + self.size as i64)
    }

    /// The centre of output `y`'s field, in input coordinates (pixel centres at
    /// `0.5, 1.5, …`): where a map value belongs when drawn over the input.
    pub fn centre(&self, y: usize) -> f32 {
        let (start, end) = self.rows(y);
        (start + end) as f32 / 2.0
    }

    /// The field after `layer`, from the field of its input; `None` once the
    /// layer mixes every position (flatten, fc).
    pub(crate) fn after(self, layer: &LayerSpec) -> Option<ReceptiveField> {
        let (kernel, stride, padding) = match *layer {
            LayerSpec::Conv2d {
                kernel,
                stride,
                padding,
                ..
            } => (kernel, stride, padding),
            LayerSpec::MaxPool2d { kernel } | LayerSpec::AvgPool2d { kernel } => {
                (kernel, kernel, 0)
            }
            LayerSpec::Relu => (1, 1, 0),
            LayerSpec::Flatten | LayerSpec::Linear { .. } => return None,
        };
        Some(ReceptiveField {
            size: self.size + (kernel - 1) * self.jump,
            jump: self.jump * stride,
            top: self.top - (padding * self.jump) as i64,
        })
    }
}
