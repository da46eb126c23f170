//! The forward convolution: rows of output pixels in the lanes (one input
//! channel), or the output channels in the lanes (several).

use super::{
    BLOCK, Geometry, Lanes, MAX_WIDTH, MIN_WIDTH, Plane, UNROLLED_KERNEL, convolves, side,
};

#[inline(always)]
pub(super) fn convolve_with<V: Lanes>(
    g: &Geometry,
    input: &[f32],
    weight: &[f32],
    plane: &mut Vec<f32>,
    conv: &mut [f32],
) {
    const { assert!(V::WIDTH >= MIN_WIDTH && V::WIDTH <= MAX_WIDTH) };
    debug_assert!(convolves(g));
    if g.in_channels > 1 {
        // Vectors of output channels: one, or two of 8 lanes for more than 8.
        if g.out_channels <= V::WIDTH {
            by_kernel_side!(g, channels_in_lanes::<V, 1>(g, input, weight, plane, conv));
        } else {
            by_kernel_side!(g, channels_in_lanes::<V, 2>(g, input, weight, plane, conv));
        }
        return;
    }
    let layout = Plane::new(g, V::WIDTH);
    let planes = layout.fill_all(g, input, plane);
    let images = input.len() / g.input_len();
    let taps = g.kernel * g.kernel;
    let mut outputs = conv
        .chunks_exact_mut(images * g.conv_pixels())
        .zip(weight.chunks_exact(taps));
    // Four channels at a time (4 × BLOCK accumulators in registers), then what is
    // left.
    loop {
        let remaining = outputs.len();
        let mut next = |_| outputs.next().expect("counted above");
        match remaining {
            0 => return,
            1 => channels::<V, 1>(g, &layout, planes, std::array::from_fn(&mut next)),
            2 => channels::<V, 2>(g, &layout, planes, std::array::from_fn(&mut next)),
            3 => channels::<V, 3>(g, &layout, planes, std::array::from_fn(&mut next)),
            _ => channels::<V, 4>(g, &layout, planes, std::array::from_fn(&mut next)),
        }
    }
}

/// `N` output channels, each `(conv [images · conv pixels], weight [K · K])`, over
/// every image's padded plane.
#[inline(always)]
fn channels<V: Lanes, const N: usize>(
    g: &Geometry,
    layout: &Plane,
    planes: &[f32],
    channels: [(&mut [f32], &[f32]); N],
) {
    by_kernel_side!(g, channels_sized::<V, N>(g, layout, planes, channels));
}

/// [`channels`] for a kernel of side `K` (0: `g.kernel`, not known at compile time).
#[inline(always)]
fn channels_sized<V: Lanes, const N: usize, const K: usize>(
    g: &Geometry,
    layout: &Plane,
    planes: &[f32],
    mut channels: [(&mut [f32], &[f32]); N],
) {
    let k = side::<K>(g);
    let (cw, ch) = (g.conv_width(), g.conv_height());
    let pixels = g.conv_pixels();
    let lanes = V::WIDTH;
    let mut spill = [0.0f32; MAX_WIDTH];
    for (image, plane) in planes.chunks_exact(layout.len(g)).enumerate() {
        for y in 0..ch {
            for x0 in (0..layout.width).step_by(BLOCK * lanes) {
                let mut acc = [[V::splat(0.0); BLOCK]; N];
                for ky in 0..k {
                    let row =
                        &plane[(y + ky) * layout.stride + x0..][..(BLOCK - 1) * lanes + k + lanes];
                    for kx in 0..k {
                        let values: [V; BLOCK] =
                            std::array::from_fn(|b| V::load(&row[b * lanes + kx..]));
                        for (acc, (_, w)) in acc.iter_mut().zip(&channels) {
                            let w = V::splat(w[ky * k + kx]);
                            for (acc, values) in acc.iter_mut().zip(values) {
                                *acc = w.mul_add(values, *acc);
                            }
                        }
                    }
                }
                for ((conv, _), acc) in channels.iter_mut().zip(acc) {
                    for (b, acc) in acc.into_iter().enumerate() {
                        let x = x0 + b * lanes;
                        let valid = (cw - x.min(cw)).min(lanes);
                        let out = &mut conv[image * pixels + y * cw + x.min(cw)..][..valid];
                        if valid == lanes {
                            acc.store(out);
                        } else {
                            acc.store(&mut spill);
                            super::copy_short(out, &spill[..valid]);
                        }
                    }
                }
            }
        }
    }
}

/// Accumulators of [`channels_in_lanes`]: output pixels × vectors of output
/// channels, enough independent multiply-adds in flight to hide their latency,
/// few enough to stay in the 16 registers of AVX2 beside the weights.
const ACCUMULATORS: usize = 10;

/// The convolution of a stage with several input channels, each output channel in
/// a lane of its own: every output pixel is Σ over the C·K² taps of (that input
/// pixel, broadcast) × (the tap's weights of all output channels, `G` vectors),
/// for a row of pixels at a time in registers. LeNet's second stage (16 output
/// channels) fills every lane, whereas its 10-pixel conv rows would leave a third
/// of a row-wise vector empty; a stage with fewer output channels than the lanes
/// leaves the rest idle. Nothing is unfolded. `K`: the kernel side (0: `g.kernel`,
/// not known at compile time).
#[inline(always)]
fn channels_in_lanes<V: Lanes, const G: usize, const K: usize>(
    g: &Geometry,
    input: &[f32],
    weight: &[f32],
    scratch: &mut Vec<f32>,
    conv: &mut [f32],
) {
    if G * V::WIDTH > MAX_WIDTH {
        // Never called so (`convolves` caps the channels at MAX_WIDTH); known at
        // compile time, so such a compilation is only this.
        unreachable!("{G} vectors of {} lanes", V::WIDTH);
    }
    debug_assert!(g.out_channels <= G * V::WIDTH);
    // Output pixels held per block.
    let block = ACCUMULATORS / G;
    let k = side::<K>(g);
    let (cw, ch) = (g.conv_width(), g.conv_height());
    let (patch, pixels) = (g.patch(), g.conv_pixels());
    let images = input.len() / g.input_len();
    let layout = Plane::with_width(g, cw.next_multiple_of(block), 1);
    let len = layout.len(g);
    let buffer = super::sized(scratch, patch * MAX_WIDTH + images * g.in_channels * len);
    let (transposed, planes) = buffer.split_at_mut(patch * MAX_WIDTH);
    // weight [O, patch] as [patch, MAX_WIDTH]: a tap's weights for every output
    // channel side by side, zero past O.
    transposed.fill(0.0);
    for (o, weights) in weight.chunks_exact(patch).enumerate() {
        for (tap, &w) in weights.iter().enumerate() {
            transposed[tap * MAX_WIDTH + o] = w;
        }
    }
    let planes = layout.fill(g, input, planes);
    let mut spill = [0.0f32; MAX_WIDTH];
    for (image, planes) in planes.chunks_exact(g.in_channels * len).enumerate() {
        let conv_at = image * pixels;
        for y in 0..ch {
            for x0 in (0..cw).step_by(block) {
                let mut acc = [[V::splat(0.0); G]; ACCUMULATORS];
                for (c, plane) in planes.chunks_exact(len).enumerate() {
                    for ky in 0..k {
                        let row = &plane[(y + ky) * layout.stride + x0..][..block + k - 1];
                        let taps = &transposed[(c * k + ky) * k * MAX_WIDTH..][..k * MAX_WIDTH];
                        for (kx, taps) in taps.chunks_exact(MAX_WIDTH).enumerate() {
                            let w: [V; G] = std::array::from_fn(|v| V::load(&taps[v * V::WIDTH..]));
                            for (p, acc) in acc.iter_mut().take(block).enumerate() {
                                let x = V::splat(row[p + kx]);
                                for (acc, w) in acc.iter_mut().zip(w) {
                                    *acc = x.mul_add(w, *acc);
                                }
                            }
                        }
                    }
                }
                for (p, acc) in acc.iter().take(block.min(cw - x0)).enumerate() {
                    for (v, acc) in acc.iter().enumerate() {
                        acc.store(&mut spill[v * V::WIDTH..]);
                    }
                    let at = conv_at + y * cw + x0 + p;
                    for (o, &value) in spill[..g.out_channels].iter().enumerate() {
                        conv[o * images * pixels + at] = value;
                    }
                }
            }
        }
    }
}
