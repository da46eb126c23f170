//! The weight and bias gradients: each pool winner adds its K×K input patch,
//! times its gradient, to its channel's gradient.

use super::interleaved::{Interleaved, interleaves};
use super::winners::Winners;
use super::{
    Geometry, Lanes, MAX_KERNEL, MAX_WIDTH, MIN_WIDTH, Plane, UNROLLED_KERNEL, differentiates, side,
};

/// Independent partial sums in [`row_sum`], so that consecutive multiply-adds
/// need not wait for each other.
const SUMS: usize = 4;

/// Σ grad · `plane[corner..corner + V::WIDTH]` over `winners` (`(corner, grad)`).
#[inline(always)]
fn row_sum<V: Lanes>(plane: &[f32], winners: &[(usize, f32)]) -> V {
    let mut sums = [V::splat(0.0); SUMS];
    let mut groups = winners.chunks_exact(SUMS);
    for group in groups.by_ref() {
        for (sum, &(corner, grad)) in sums.iter_mut().zip(group) {
            *sum = V::splat(grad).mul_add(V::load(&plane[corner..]), *sum);
        }
    }
    for (sum, &(corner, grad)) in sums.iter_mut().zip(groups.remainder()) {
        *sum = V::splat(grad).mul_add(V::load(&plane[corner..]), *sum);
    }
    let [s0, s1, s2, s3] = sums;
    s0.add(s1).add(s2.add(s3))
}

#[inline(always)]
pub(super) fn weight_gradient_with<V: Lanes>(
    g: &Geometry,
    input: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    plane: &mut Vec<f32>,
) -> (Vec<f32>, Vec<f32>) {
    const { assert!(V::WIDTH >= MIN_WIDTH && V::WIDTH <= MAX_WIDTH) };
    debug_assert!(differentiates(g));
    if interleaves(g) {
        return by_kernel_side!(
            g,
            interleaved_weight_gradient::<V>(g, input, routes, grad_output, plane)
        );
    }
    let k = g.kernel;
    let layout = Plane::new(g, V::WIDTH);
    let planes = layout.fill_all(g, input, plane);
    let len = layout.len(g);
    let mut grad_weight = Vec::with_capacity(g.out_channels * g.patch());
    let mut grad_bias = Vec::with_capacity(g.out_channels);
    let mut winners = Winners::default();
    let mut row = [0.0f32; MAX_WIDTH];
    let corner = |image, y, x| layout.corner(g, image, y, x);
    for o in 0..g.out_channels {
        let winners = winners.of_channel(g, o, routes, grad_output, corner);
        grad_bias.push(winners.iter().map(|&(_, grad)| grad).sum());
        // Row ky of input channel c's K×K gradient, in lanes 0..K; the other lanes
        // collect products with pixels right of the patch, and are dropped.
        for c in 0..g.in_channels {
            for ky in 0..k {
                let rows = &planes[c * len + ky * layout.stride..];
                row_sum::<V>(rows, winners).store(&mut row);
                grad_weight.extend_from_slice(&row[..k]);
            }
        }
    }
    (grad_weight, grad_bias)
}

/// Kernel rows whose gradient one pass over the winners sums in registers in
/// [`interleaved_weight_gradient`]: as many as keep about this many accumulators,
/// enough independent multiply-adds to hide their latency, few enough to leave
/// AVX2's 16 registers room for the loads.
const ROW_ACCUMULATORS: usize = 12;

/// The most kernel rows one pass takes: [`ROW_ACCUMULATORS`] / K for K ≥ 4, and
/// every row for K ≤ 3 (each count has its own compiled [`tap_sums`]).
pub(super) const MAX_ROWS_PER_PASS: usize = 3;

/// Kernel rows one pass of [`interleaved_weight_gradient`] takes for side `k`.
pub(super) fn rows_per_pass(k: usize) -> usize {
    (ROW_ACCUMULATORS / k).clamp(1, k.min(MAX_ROWS_PER_PASS))
}

/// [`weight_gradient_with`] with the input channels in the lanes: for each
/// channel's winners, the gradient of every tap of a few kernel rows (all input
/// channels at once) is Σ grad · (the input pixel's vector at the tap). `K`: the
/// kernel side (0: `g.kernel`, not known at compile time).
#[inline(always)]
fn interleaved_weight_gradient<V: Lanes, const K: usize>(
    g: &Geometry,
    input: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    buffer: &mut Vec<f32>,
) -> (Vec<f32>, Vec<f32>) {
    let k = side::<K>(g);
    let layout = Interleaved::new(g, V::WIDTH);
    let planes = super::sized(buffer, input.len() / g.input_len() * layout.len());
    layout.fill(g, input, planes);
    let rows_per_pass = rows_per_pass(k);
    let row_step = layout.columns * V::WIDTH;
    let mut grad_weight = vec![0.0; g.out_channels * g.patch()];
    let mut grad_bias = Vec::with_capacity(g.out_channels);
    let mut winners = Winners::default();
    let mut spill = [0.0f32; MAX_WIDTH];
    let corner = |image, y, x| layout.corner(image, y, x);
    for (o, grad_weight) in grad_weight.chunks_exact_mut(g.patch()).enumerate() {
        let winners = winners.of_channel(g, o, routes, grad_output, corner);
        grad_bias.push(winners.iter().map(|&(_, grad)| grad).sum());
        for first_row in (0..k).step_by(rows_per_pass) {
            let mut store = |rows: &[[V; MAX_KERNEL]]| {
                for (row, sums) in rows.iter().enumerate() {
                    for (kx, sum) in sums.iter().take(k).enumerate() {
                        sum.store(&mut spill);
                        for (c, &value) in spill[..g.in_channels].iter().enumerate() {
                            grad_weight[(c * k + first_row + row) * k + kx] = value;
                        }
                    }
                }
            };
            let rows = &planes[first_row * row_step..];
            match rows_per_pass.min(k - first_row) {
                1 => store(&tap_sums::<V, 1, K>(g, rows, winners, row_step)),
                2 => store(&tap_sums::<V, 2, K>(g, rows, winners, row_step)),
                MAX_ROWS_PER_PASS => store(&tap_sums::<V, MAX_ROWS_PER_PASS, K>(
                    g, rows, winners, row_step,
                )),
                rows => unreachable!("{rows} rows a pass: at most {MAX_ROWS_PER_PASS}"),
            }
        }
    }
    (grad_weight, grad_bias)
}

/// One pass of [`interleaved_weight_gradient`] over a channel's winners: the
/// gradients of `R` kernel rows, K taps each (a vector of input channels per
/// tap), from the first row of `planes` (rows `row_step` floats apart). `R` is
/// known at compile time, and so is `K` for LeNet's 5×5 (0: `g.kernel`), so that
/// the sums stay in registers.
#[inline(always)]
fn tap_sums<V: Lanes, const R: usize, const K: usize>(
    g: &Geometry,
    planes: &[f32],
    winners: &[(usize, f32)],
    row_step: usize,
) -> [[V; MAX_KERNEL]; R] {
    let k = side::<K>(g);
    let mut sums = [[V::splat(0.0); MAX_KERNEL]; R];
    for &(corner, grad) in winners {
        let grad = V::splat(grad);
        for (r, sums) in sums.iter_mut().enumerate() {
            let row = &planes[corner + r * row_step..][..k * V::WIDTH];
            for (kx, sum) in sums.iter_mut().take(k).enumerate() {
                *sum = grad.mul_add(V::load(&row[kx * V::WIDTH..]), *sum);
            }
        }
    }
    sums
}
