//! The pool winners both gradients walk: a quarter of the conv outputs at most.

use super::{Geometry, NO_ROUTE, winner_offset};

/// The pool winners of one output channel at a time, each as where its patch
/// starts in an input buffer and its gradient. The slots are sized once for all
/// of a channel's outputs, so listing neither allocates nor clears.
#[derive(Default)]
pub(super) struct Winners {
    slots: Vec<(usize, f32)>,
}

impl Winners {
    /// The winners of output channel `o` in every image: `corner(image, y, x)` is
    /// where the patch of conv pixel `(y, x)` starts.
    ///
    /// Without a branch: whether an output has a winner is data (about half do),
    /// so a branch on it would be mispredicted about half the time. Every output
    /// is written, and the end moves on only past the winners.
    #[inline(always)]
    pub(super) fn of_channel(
        &mut self,
        g: &Geometry,
        o: usize,
        routes: &[u8],
        grad_output: &[f32],
        corner: impl Fn(usize, usize, usize) -> usize,
    ) -> &[(usize, f32)] {
        let (ow, window) = (g.out_width(), g.window());
        let outputs = g.out_height() * ow;
        let images = routes.len() / (g.out_channels * outputs);
        if self.slots.len() < images * outputs {
            self.slots.resize(images * outputs, (0, 0.0));
        }
        let mut end = 0;
        for image in 0..images {
            let at = (image * g.out_channels + o) * outputs;
            let routes = routes[at..][..outputs].chunks_exact(ow);
            let grads = grad_output[at..][..outputs].chunks_exact(ow);
            for (py, (routes, grads)) in routes.zip(grads).enumerate() {
                for (px, (&route, &grad)) in routes.iter().zip(grads).enumerate() {
                    // Decoded before knowing whether there is a winner: then the
                    // slot is overwritten or cut off.
                    let (dy, dx) = winner_offset(route, window);
                    self.slots[end] = (corner(image, py * window + dy, px * window + dx), grad);
                    end += usize::from(route != NO_ROUTE);
                }
            }
        }
        &self.slots[..end]
    }
}
