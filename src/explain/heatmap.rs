//! A grid of numbers laid over a picture.

use serde::Serialize;

/// One value per position of a `height` × `width` grid, row-major: the input's
/// 28×28 pixels, or a hidden layer's map. What a value means (a gradient, a fall
/// in probability) is said by the function that made it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heatmap {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// `height × width` values, row-major.
    pub values: Vec<f32>,
}

impl Heatmap {
    /// The value at row `y`, column `x`.
    pub fn at(&self, y: usize, x: usize) -> f32 {
        self.values[y * self.width + x]
    }

    /// The largest absolute value (0 for an all-zero map): a scale for drawing.
    pub fn max_abs(&self) -> f32 {
        self.values.iter().fold(0.0f32, |m, v| m.max(v.abs()))
    }

    /// Positions ordered from the largest value to the smallest (NaN last): the
    /// order in which a deletion test removes pixels.
    pub fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.values.len()).collect();
        order.sort_by(|&a, &b| {
            let (va, vb) = (self.values[a], self.values[b]);
            vb.partial_cmp(&va)
                .unwrap_or_else(|| va.is_nan().cmp(&vb.is_nan()))
        });
        order
    }
}
