//! The input gradient: each pool winner adds its gradient times its channel's
//! weights onto the patch it was computed from.

use super::interleaved::{Interleaved, interleaves};
use super::winners::Winners;
use super::{Geometry, Lanes, MAX_WIDTH, MIN_WIDTH, Plane, UNROLLED_KERNEL, differentiates, side};

#[inline(always)]
pub(super) fn input_gradient_with<V: Lanes>(
    g: &Geometry,
    weight: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    scratch: &mut Vec<f32>,
    grad_input: &mut [f32],
) {
    const { assert!(V::WIDTH >= MIN_WIDTH && V::WIDTH <= MAX_WIDTH) };
    debug_assert!(differentiates(g));
    if interleaves(g) {
        by_kernel_side!(
            g,
            interleaved_input_gradient::<V>(g, weight, routes, grad_output, scratch, grad_input)
        );
    } else {
        by_kernel_side!(
            g,
            row_input_gradient::<V>(g, weight, routes, grad_output, scratch, grad_input)
        );
    }
}

/// [`input_gradient_with`] with a kernel row per vector, for a kernel of side
/// `K` (0: `g.kernel`, not known at compile time), so that LeNet's five kernel
/// rows per winner are unrolled.
#[inline(always)]
fn row_input_gradient<V: Lanes, const K: usize>(
    g: &Geometry,
    weight: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    scratch: &mut Vec<f32>,
    grad_input: &mut [f32],
) {
    let k = side::<K>(g);
    let lanes = V::WIDTH;
    let layout = Plane::new(g, lanes);
    let len = layout.len(g);
    let images = grad_input.len() / g.input_len();
    // Each kernel row padded to a whole vector with zeros, which add nothing to
    // the pixels right of the patch; then the padded gradient planes.
    let padded_len = g.out_channels * g.in_channels * k * lanes;
    let buffer = super::sized(scratch, padded_len + images * g.in_channels * len);
    let (padded, planes) = buffer.split_at_mut(padded_len);
    padded.fill(0.0);
    for (padded, row) in padded.chunks_exact_mut(lanes).zip(weight.chunks_exact(k)) {
        padded[..k].copy_from_slice(row);
    }
    planes.fill(0.0);
    let mut winners = Winners::default();
    let corner = |image, y, x| layout.corner(g, image, y, x);
    // Channel by channel, every image at once: each pixel still adds its
    // winners' terms in the order of their channels.
    for o in 0..g.out_channels {
        let weights = &padded[o * g.in_channels * k * lanes..][..g.in_channels * k * lanes];
        for &(corner, grad) in winners.of_channel(g, o, routes, grad_output, corner) {
            if !grad.is_finite() {
                // 0 × this is NaN: touch only the patch's own K columns, as the
                // matrix-product path does. (Only after training diverged.)
                for (c, weights) in weights.chunks_exact(k * lanes).enumerate() {
                    for (ky, weights) in weights.chunks_exact(lanes).enumerate() {
                        let row = &mut planes[c * len + corner + ky * layout.stride..][..k];
                        row.iter_mut()
                            .zip(&weights[..k])
                            .for_each(|(p, w)| *p += grad * w);
                    }
                }
                continue;
            }
            let scale = V::splat(grad);
            for (c, weights) in weights.chunks_exact(k * lanes).enumerate() {
                let patch = &mut planes[c * len + corner..];
                for (ky, weights) in weights.chunks_exact(lanes).enumerate() {
                    let row = &mut patch[ky * layout.stride..];
                    scale.mul_add(V::load(weights), V::load(row)).store(row);
                }
            }
        }
    }
    // The padded planes, cropped to the input.
    for (grad, plane) in grad_input
        .chunks_exact_mut(g.height * g.width)
        .zip(planes.chunks_exact(len))
    {
        for (y, row) in grad.chunks_exact_mut(g.width).enumerate() {
            row.copy_from_slice(&plane[(y + g.padding) * layout.stride + g.padding..][..g.width]);
        }
    }
}

/// [`input_gradient_with`] with the input channels in the lanes
/// ([`interleaves`]): each winner adds grad · its channel's weights (a vector of
/// input channels per tap) onto [`Interleaved`] gradient planes, which are then
/// written out as `[images, C, H, W]`. Every load and store is a whole pixel's
/// vector, so a winner's stores never partly overlap the next one's loads; lanes
/// past C hold products with zero weights and are dropped, so a non-finite
/// gradient, too, touches only its own patch.
#[inline(always)]
fn interleaved_input_gradient<V: Lanes, const K: usize>(
    g: &Geometry,
    weight: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    scratch: &mut Vec<f32>,
    grad_input: &mut [f32],
) {
    let k = side::<K>(g);
    let taps = k * k;
    let lanes = V::WIDTH;
    let layout = Interleaved::new(g, lanes);
    let row_step = layout.columns * lanes;
    let transposed_len = g.out_channels * taps * lanes;
    let images = grad_input.len() / g.input_len();
    let buffer = super::sized(scratch, transposed_len + images * layout.len());
    let (transposed, planes) = buffer.split_at_mut(transposed_len);
    // weight [O, C, K, K] as [O, K, K, lanes]: a tap's weights for every input
    // channel side by side, zero past C.
    transposed.fill(0.0);
    for (o, weights) in weight.chunks_exact(g.patch()).enumerate() {
        for (c, weights) in weights.chunks_exact(taps).enumerate() {
            for (tap, &w) in weights.iter().enumerate() {
                transposed[(o * taps + tap) * lanes + c] = w;
            }
        }
    }
    planes.fill(0.0);
    let mut winners = Winners::default();
    let corner = |image, y, x| layout.corner(image, y, x);
    for (o, weights) in transposed.chunks_exact(taps * lanes).enumerate() {
        for &(corner, grad) in winners.of_channel(g, o, routes, grad_output, corner) {
            let grad = V::splat(grad);
            for ky in 0..k {
                let row = &mut planes[corner + ky * row_step..][..k * lanes];
                let weights = &weights[ky * k * lanes..][..k * lanes];
                for kx in 0..k {
                    let pixel = &mut row[kx * lanes..];
                    let sum = grad.mul_add(V::load(&weights[kx * lanes..]), V::load(pixel));
                    sum.store(pixel);
                }
            }
        }
    }
    for (image, grad_input) in grad_input.chunks_exact_mut(g.input_len()).enumerate() {
        for (row, at) in grad_input
            .chunks_exact_mut(g.width)
            .zip(layout.rows(g, image))
        {
            let pixels = planes[at..].iter().step_by(lanes);
            row.iter_mut()
                .zip(pixels)
                .for_each(|(value, &pixel)| *value = pixel);
        }
    }
}
