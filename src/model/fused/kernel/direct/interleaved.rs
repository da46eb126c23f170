//! Input planes with a pixel's channels side by side, for the gradients of a
//! stage with a few input channels.

use super::{Geometry, MIN_WIDTH, differentiates};

/// Whether the gradients of `g` hold the input channels in the lanes
/// ([`Interleaved`]) rather than a kernel row: with at most [`MIN_WIDTH`] input
/// channels, and a kernel below 4/3 of their number. Per winner, a kernel row per
/// vector takes C · K multiply-adds and the channels in the lanes K², but the
/// rows' loads (and, in the input gradient, stores) straddle vectors and partly
/// overlap the next winner's, so the break-even lies above K = C. Measured on an
/// AMD EPYC (Zen 4), AVX2, both layouts forced, batch 4, 14×14 inputs, 16 output
/// channels: C = 4, K = 5 is 1.3× faster interleaved in both gradients, C = 3,
/// K = 5 and C = 4, K = 7 take the rows, and C = 3, K = 4 is about even.
/// LeNet's second stage (C = 6, K = 5) is interleaved. Never depends on the CPU.
pub(super) fn interleaves(g: &Geometry) -> bool {
    differentiates(g) && g.in_channels <= MIN_WIDTH && 3 * g.kernel < 4 * g.in_channels
}

/// Input planes with the channels interleaved, `[images, rows, columns, lanes]`:
/// each pixel's C channels side by side in one vector (zero past C), zero-padded
/// around the input as the convolution reads it. A vector load at a pixel is all
/// its channels.
pub(super) struct Interleaved {
    pub(super) rows: usize,
    pub(super) columns: usize,
    pub(super) lanes: usize,
}

impl Interleaved {
    pub(super) fn new(g: &Geometry, lanes: usize) -> Self {
        debug_assert!(g.in_channels <= lanes);
        Self {
            rows: g.height + 2 * g.padding,
            columns: g.width + 2 * g.padding,
            lanes,
        }
    }

    /// Floats per image.
    pub(super) fn len(&self) -> usize {
        self.rows * self.columns * self.lanes
    }

    /// Where the patch of conv pixel `(y, x)` of `image` starts.
    #[inline(always)]
    pub(super) fn corner(&self, image: usize, y: usize, x: usize) -> usize {
        image * self.len() + (y * self.columns + x) * self.lanes
    }

    /// `input` `[images, C, H, W]` interleaved into `planes` (`images · len`).
    pub(super) fn fill(&self, g: &Geometry, input: &[f32], planes: &mut [f32]) {
        planes.fill(0.0);
        for (image, input) in input.chunks_exact(g.input_len()).enumerate() {
            for (row, at) in input.chunks_exact(g.width).zip(self.rows(g, image)) {
                let pixels = planes[at..].iter_mut().step_by(self.lanes);
                pixels.zip(row).for_each(|(pixel, &value)| *pixel = value);
            }
        }
    }

    /// Where each row of `image`'s planes `[C, H, W]` starts, in their order;
    /// its next pixels follow every `lanes` floats.
    pub(super) fn rows(&self, g: &Geometry, image: usize) -> impl Iterator<Item = usize> {
        (0..g.in_channels).flat_map(move |c| {
            (0..g.height).map(move |y| self.corner(image, y + g.padding, g.padding) + c)
        })
    }
}
