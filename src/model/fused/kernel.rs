//! The convolution stage on the host: conv (stride 1, square kernel, zero
//! padding) + bias + ReLU + optional 2×2 max-pool, forward and backward, on plain
//! `f32` slices.
//!
//! Why not Burn's ops: for LeNet's tiny channel counts, Burn's CPU convolution,
//! pooling (which always builds `i64` indices) and their backward passes spend most
//! of a training step outside arithmetic (docs/PERFORMANCE.md). Here the batch is
//! cut into chunks of a few images that fit in cache; each chunk is convolved (see
//! below), and bias, ReLU and pooling are applied in one sweep over the result.
//! The pool remembers which of its four inputs won as one byte, so the backward
//! pass needs neither indices nor the activations.
//!
//! The convolution and the backward take the cheapest way the shapes allow:
//! [`direct`] for the convolution of any kernel up to 8 wide over one input
//! channel or into at most 16 output channels, and for the gradients of any
//! kernel up to 8 wide (from the winners alone); otherwise im2col and one matrix
//! product per chunk, and in the backward the unfolded input rebuilt (cheaper than
//! keeping it) for two more products. Chunks run on rayon's threads, each product
//! on one thread, and per-chunk weight gradients are summed in chunk order, so
//! results do not depend on the number of threads or their timing.

mod direct;

use rayon::prelude::*;

/// A pool window's input that produced no gradient: its maximum was ≤ 0, so the
/// ReLU before it passed nothing back (PyTorch's ReLU has zero gradient at 0).
pub(crate) const NO_ROUTE: u8 = u8::MAX;

/// Images per chunk: small enough that a chunk's working memory stays in L2 cache
/// (chosen when conv1 still went through im2col: 25 rows × 4 × 784 columns = 313
/// kB). Measured then on 2 cores, one epoch of LeNet5: 2 → 13,500, 4 → 14,600, 8 →
/// 13,400, 16 → 12,600 images/s.
///
/// Fixed, never derived from the thread count: the weight gradient is a sum of
/// per-chunk sums, so chunks that changed with the machine would group the sum
/// differently and the same seed would train other weights on another machine.
const CHUNK: usize = 4;

/// The sizes of one convolution stage applied to one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub batch: usize,
    pub in_channels: usize,
    pub height: usize,
    pub width: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub padding: usize,
    pub pool: bool,
}

impl Geometry {
    fn conv_height(&self) -> usize {
        self.height + 2 * self.padding + 1 - self.kernel
    }

    fn conv_width(&self) -> usize {
        self.width + 2 * self.padding + 1 - self.kernel
    }

    /// Side of the pooling window: 2, or 1 without pooling.
    fn window(&self) -> usize {
        if self.pool { 2 } else { 1 }
    }

    /// Output height (after pooling, which drops an odd last row as PyTorch does).
    pub fn out_height(&self) -> usize {
        self.conv_height() / self.window()
    }

    /// Output width.
    pub fn out_width(&self) -> usize {
        self.conv_width() / self.window()
    }

    /// Whether the convolution has any output at all (and anything to compute it
    /// from).
    pub fn is_valid(&self) -> bool {
        self.kernel >= 1
            && self.batch >= 1
            && self.in_channels >= 1
            && self.out_channels >= 1
            && self.height >= 1
            && self.width >= 1
            && self.height + 2 * self.padding >= self.kernel
            && self.width + 2 * self.padding >= self.kernel
            && self.out_height() > 0
            && self.out_width() > 0
    }

    /// Rows of the unfolded input: one per weight of an output channel.
    fn patch(&self) -> usize {
        self.in_channels * self.kernel * self.kernel
    }

    fn conv_pixels(&self) -> usize {
        self.conv_height() * self.conv_width()
    }

    fn input_len(&self) -> usize {
        self.in_channels * self.height * self.width
    }

    fn output_len(&self) -> usize {
        self.out_channels * self.out_height() * self.out_width()
    }

    /// Images per chunk: [`CHUNK`], or the whole batch when it is smaller.
    fn chunk(&self) -> usize {
        self.batch.clamp(1, CHUNK)
    }
}

/// What the forward pass returns: the stage's output `[N, O, H', W']` and, per
/// output element, which input of its pooling window it came from (or
/// [`NO_ROUTE`]).
pub(crate) struct Forward {
    pub output: Vec<f32>,
    pub routes: Vec<u8>,
}

/// Runs the stage on `input` `[N, C, H, W]` with `weight` `[O, C, K, K]` and `bias`.
pub(crate) fn forward(g: &Geometry, input: &[f32], weight: &[f32], bias: &[f32]) -> Forward {
    assert_eq!(input.len(), g.batch * g.input_len());
    assert_eq!(weight.len(), g.out_channels * g.patch());
    assert_eq!(bias.len(), g.out_channels);
    let mut output = vec![0.0; g.batch * g.output_len()];
    let mut routes = vec![NO_ROUTE; output.len()];
    let chunk = g.chunk();
    input
        .par_chunks(chunk * g.input_len())
        .zip(output.par_chunks_mut(chunk * g.output_len()))
        .zip(routes.par_chunks_mut(chunk * g.output_len()))
        .for_each(|((input, output), routes)| {
            let images = input.len() / g.input_len();
            let columns = images * g.conv_pixels();
            with_scratch(|[unfolded, conv, _]| {
                let conv = sized(conv, g.out_channels * columns);
                if direct::convolves(g) {
                    direct::convolve(
                        direct::Simd::for_forward(),
                        g,
                        input,
                        weight,
                        unfolded,
                        conv,
                    );
                } else {
                    let unfolded = sized(unfolded, g.patch() * columns);
                    unfold(g, input, unfolded);
                    // conv [O, cols] = weight [O, patch] · unfolded [patch, cols]
                    matmul(
                        conv,
                        (g.out_channels, columns),
                        Operand::row_major(weight, g.patch()),
                        Operand::row_major(unfolded, columns),
                        g.patch(),
                    );
                }
                bias_relu_pool(g, images, conv, bias, output, routes);
            });
        });
    Forward { output, routes }
}

/// Gradients of the loss with respect to the stage's input, weight and bias.
pub(crate) struct Gradients {
    pub input: Option<Vec<f32>>,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The backward pass: from the gradient of the stage's output and the routes the
/// forward pass recorded. The input gradient is computed only when asked for (the
/// first stage's input, the images, needs none).
pub(crate) fn backward(
    g: &Geometry,
    input: &[f32],
    weight: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    want_input: bool,
) -> Gradients {
    assert_eq!(input.len(), g.batch * g.input_len());
    assert_eq!(routes.len(), g.batch * g.output_len());
    assert_eq!(grad_output.len(), routes.len());
    let chunk = g.chunk();
    let mut grad_input = vec![0.0; if want_input { input.len() } else { 0 }];
    let input_chunks: Vec<&[f32]> = input.chunks(chunk * g.input_len()).collect();
    let mut grad_input_chunks: Vec<&mut [f32]> = if want_input {
        grad_input.chunks_mut(chunk * g.input_len()).collect()
    } else {
        input_chunks.iter().map(|_| &mut [][..]).collect()
    };
    let partials: Vec<(Vec<f32>, Vec<f32>)> = input_chunks
        .par_iter()
        .zip(routes.par_chunks(chunk * g.output_len()))
        .zip(grad_output.par_chunks(chunk * g.output_len()))
        .zip(grad_input_chunks.par_iter_mut())
        .map(|(((input, routes), grad_output), grad_input)| {
            let images = input.len() / g.input_len();
            let columns = images * g.conv_pixels();
            with_scratch(|[grad_conv, unfolded, grad_unfolded]| {
                if direct::differentiates(g) {
                    let simd = direct::Simd::for_gradients();
                    let gradients =
                        direct::weight_gradient(simd, g, input, routes, grad_output, unfolded);
                    if !grad_input.is_empty() {
                        direct::input_gradient(
                            simd,
                            g,
                            weight,
                            routes,
                            grad_output,
                            grad_conv,
                            grad_input,
                        );
                    }
                    return gradients;
                }
                let grad_conv = sized(grad_conv, g.out_channels * columns);
                let bias = route_back(g, images, routes, grad_output, grad_conv);
                let unfolded = sized(unfolded, g.patch() * columns);
                unfold(g, input, unfolded);
                // d weight [O, patch] = d conv [O, cols] · unfoldedᵀ [cols, patch]
                let mut grad_weight = vec![0.0; g.out_channels * g.patch()];
                matmul(
                    &mut grad_weight,
                    (g.out_channels, g.patch()),
                    Operand::row_major(grad_conv, columns),
                    Operand::transposed(unfolded, columns),
                    columns,
                );
                if !grad_input.is_empty() {
                    // d unfolded [patch, cols] = weightᵀ [patch, O] · d conv [O, cols]
                    let grad_unfolded = sized(grad_unfolded, g.patch() * columns);
                    matmul(
                        grad_unfolded,
                        (g.patch(), columns),
                        Operand::transposed(weight, g.patch()),
                        Operand::row_major(grad_conv, columns),
                        g.out_channels,
                    );
                    fold(g, grad_unfolded, grad_input);
                }
                (grad_weight, bias)
            })
        })
        .collect();
    let mut weight_sum = vec![0.0; g.out_channels * g.patch()];
    let mut bias_sum = vec![0.0; g.out_channels];
    for (w, b) in partials {
        weight_sum.iter_mut().zip(w).for_each(|(s, v)| *s += v);
        bias_sum.iter_mut().zip(b).for_each(|(s, v)| *s += v);
    }
    Gradients {
        input: want_input.then_some(grad_input),
        weight: weight_sum,
        bias: bias_sum,
    }
}

/// im2col: fills `unfolded` `[patch, images · conv pixels]`, row `(c, ki, kj)`,
/// column `(image, y, x)`, with `input[image, c, y + ki − pad, x + kj − pad]` (0
/// outside the image). Every element is written, so the buffer can be reused.
#[inline(never)]
fn unfold(g: &Geometry, input: &[f32], unfolded: &mut [f32]) {
    let images = input.len() / g.input_len();
    let (ch, cw) = (g.conv_height(), g.conv_width());
    let columns = images * ch * cw;
    for (row_index, row) in unfolded.chunks_mut(columns).enumerate() {
        let (c, ki, kj) = patch_position(g, row_index);
        let (x_start, x_end, shift) = valid_span(kj, g.padding, g.width, cw);
        for (image, out) in row.chunks_mut(ch * cw).enumerate() {
            let plane =
                &input[(image * g.in_channels + c) * g.height * g.width..][..g.height * g.width];
            for (y, line) in out.chunks_exact_mut(cw).enumerate() {
                let Some(iy) = (y + ki).checked_sub(g.padding).filter(|&iy| iy < g.height) else {
                    line.fill(0.0);
                    continue;
                };
                let src = &plane[iy * g.width..][..g.width];
                line[..x_start].fill(0.0);
                if x_start < x_end {
                    copy_short(
                        &mut line[x_start..x_end],
                        &src[x_start + kj - shift..x_end + kj - shift],
                    );
                }
                line[x_end..].fill(0.0);
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for short runs (a row of an image in [`unfold`] or
/// a padded plane, 1 to a few dozen values), without a call into `memcpy` for each: whole blocks
/// of 8, then one last block of 8 that may overlap the previous one.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    const BLOCK: usize = 8;
    let n = dst.len();
    assert_eq!(n, src.len());
    if n < BLOCK {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
        return;
    }
    let mut i = 0;
    while i + BLOCK <= n {
        let block: &[f32; BLOCK] = src[i..i + BLOCK].try_into().expect("8 values");
        dst[i..i + BLOCK].copy_from_slice(block);
        i += BLOCK;
    }
    if i < n {
        let block: &[f32; BLOCK] = src[n - BLOCK..].try_into().expect("8 values");
        dst[n - BLOCK..].copy_from_slice(block);
    }
}

thread_local! {
    /// Working memory per thread, reused by every chunk of every call: the unfolded
    /// input and the products are the size of a chunk and would otherwise be
    /// allocated (and zeroed) for each.
    static SCRATCH: std::cell::RefCell<[Vec<f32>; 3]> = Default::default();
}

fn with_scratch<R>(f: impl FnOnce(&mut [Vec<f32>; 3]) -> R) -> R {
    SCRATCH.with(|scratch| f(&mut scratch.borrow_mut()))
}

/// The first `len` values of `buffer`, growing it if needed (contents unspecified).
fn sized(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    &mut buffer[..len]
}

/// col2im: adds each entry of an unfolded gradient back onto the input pixel it was
/// copied from (the adjoint of [`unfold`]).
#[inline(never)]
fn fold(g: &Geometry, unfolded: &[f32], grad_input: &mut [f32]) {
    let images = grad_input.len() / g.input_len();
    let (ch, cw) = (g.conv_height(), g.conv_width());
    let columns = images * ch * cw;
    for (row_index, row) in unfolded.chunks(columns).enumerate() {
        let (c, ki, kj) = patch_position(g, row_index);
        let (x_start, x_end, shift) = valid_span(kj, g.padding, g.width, cw);
        for (image, grads) in row.chunks(ch * cw).enumerate() {
            let plane = &mut grad_input[(image * g.in_channels + c) * g.height * g.width..]
                [..g.height * g.width];
            for y in 0..ch {
                let Some(iy) = (y + ki).checked_sub(g.padding).filter(|&iy| iy < g.height) else {
                    continue;
                };
                if x_start == x_end {
                    continue;
                }
                let dst = &mut plane[iy * g.width..][..g.width];
                dst[x_start + kj - shift..x_end + kj - shift]
                    .iter_mut()
                    .zip(&grads[y * cw + x_start..y * cw + x_end])
                    .for_each(|(d, s)| *d += s);
            }
        }
    }
}

fn patch_position(g: &Geometry, row: usize) -> (usize, usize, usize) {
    let per_channel = g.kernel * g.kernel;
    (
        row / per_channel,
        (row % per_channel) / g.kernel,
        row % g.kernel,
    )
}

/// For kernel column `kj`: the output columns `x_start..x_end` whose input column
/// `x + kj − pad` lies inside the image, and `shift` = `pad` (so the input column
/// is `x + kj − shift`, written without going negative). Both ends lie within the
/// conv width; the span is empty where no output column of `kj` sees the image
/// (padding wider than the image and the rest of the kernel), and then the input
/// column must not be computed.
fn valid_span(kj: usize, padding: usize, width: usize, conv_width: usize) -> (usize, usize, usize) {
    let x_start = padding.saturating_sub(kj).min(conv_width);
    let x_end = (width + padding).saturating_sub(kj).min(conv_width);
    (x_start, x_end.max(x_start), padding)
}

/// Adds the bias, applies ReLU and pools `conv` `[O, images · conv pixels]` into
/// `output` `[images, O, H', W']`, recording each winner in `routes`.
#[inline(never)]
fn bias_relu_pool(
    g: &Geometry,
    images: usize,
    conv: &[f32],
    bias: &[f32],
    output: &mut [f32],
    routes: &mut [u8],
) {
    let (cw, pixels) = (g.conv_width(), g.conv_pixels());
    let (oh, ow) = (g.out_height(), g.out_width());
    let planes = output
        .chunks_mut(oh * ow)
        .zip(routes.chunks_mut(oh * ow))
        .enumerate();
    for (plane_index, (output, routes)) in planes {
        let (image, o) = (plane_index / g.out_channels, plane_index % g.out_channels);
        let plane = &conv[(o * images + image) * pixels..][..pixels];
        let b = bias[o];
        if !g.pool {
            for ((out, route), &z) in output.iter_mut().zip(routes.iter_mut()).zip(plane) {
                let z = z + b;
                // NaN goes through, as in PyTorch's ReLU.
                let active = z > 0.0 || z.is_nan();
                *out = if active { z } else { 0.0 };
                *route = if active { 0 } else { NO_ROUTE };
            }
            continue;
        }
        for py in 0..oh {
            let top = &plane[2 * py * cw..][..cw];
            let bottom = &plane[(2 * py + 1) * cw..][..cw];
            let out = &mut output[py * ow..][..ow];
            let route = &mut routes[py * ow..][..ow];
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for (px, (top, bottom)) in windows.take(ow).enumerate() {
                let window = [top[0], top[1], bottom[0], bottom[1]];
                // The first of equal values wins, as in PyTorch's scan order.
                let (mut best, mut winner) = (window[0], 0u8);
                for (r, &v) in window.iter().enumerate().skip(1) {
                    if v > best {
                        (best, winner) = (v, r as u8);
                    }
                }
                // NaN anywhere in the window comes out as NaN, as in PyTorch.
                let z = if window.iter().any(|v| v.is_nan()) {
                    f32::NAN
                } else {
                    best + b
                };
                let active = z > 0.0 || z.is_nan();
                out[px] = if active { z } else { 0.0 };
                route[px] = if active { winner } else { NO_ROUTE };
            }
        }
    }
}

/// The inverse of [`bias_relu_pool`] for gradients: fills `grad_conv`
/// `[O, images · conv pixels]`, zero except where a pooled output's gradient goes
/// back to its winner, and returns the bias gradient.
#[inline(never)]
fn route_back(
    g: &Geometry,
    images: usize,
    routes: &[u8],
    grad_output: &[f32],
    grad_conv: &mut [f32],
) -> Vec<f32> {
    let (cw, pixels) = (g.conv_width(), g.conv_pixels());
    let (oh, ow, window) = (g.out_height(), g.out_width(), g.window());
    grad_conv.fill(0.0);
    // The bias gradient is the sum of what reaches the convolution's outputs, i.e.
    // of the routed output gradients: summed here rather than over `grad_conv`,
    // which is four times larger and mostly zeros.
    let mut grad_bias = vec![0.0; g.out_channels];
    for image in 0..images {
        for (o, bias) in grad_bias.iter_mut().enumerate() {
            let plane = &mut grad_conv[o * images * pixels + image * pixels..][..pixels];
            let out = (image * g.out_channels + o) * oh * ow;
            let routes = &routes[out..][..oh * ow];
            let grads = &grad_output[out..][..oh * ow];
            for (i, (&route, &grad)) in routes.iter().zip(grads).enumerate() {
                if route != NO_ROUTE {
                    let (py, px) = (i / ow, i % ow);
                    let (dy, dx) = winner_offset(route, window);
                    plane[(py * window + dy) * cw + px * window + dx] = grad;
                    *bias += grad;
                }
            }
        }
    }
    grad_bias
}

/// Where the winner recorded as `route` sits in its pool window `window` × `window`
/// (row, column): [`bias_relu_pool`] records 2 · row + column. Every byte, even
/// [`NO_ROUTE`], decodes to a place inside the window, so a caller may decode
/// before it checks.
#[inline(always)]
fn winner_offset(route: u8, window: usize) -> (usize, usize) {
    if window == 2 {
        let r = usize::from(route & 3);
        (r >> 1, r & 1)
    } else {
        (0, 0)
    }
}

/// A matrix operand for [`matmul`]: a slice with its row and column strides.
struct Operand<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Operand<'a> {
    /// A row-major matrix with `cols` columns.
    fn row_major(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            row_stride: 1,
            col_stride: cols,
        }
    }

    /// The largest index the product reads, plus one.
    fn extent(&self, rows: usize, cols: usize) -> usize {
        (rows - 1) * self.row_stride + (cols - 1) * self.col_stride + 1
    }
}

/// `dst [m, n] (row-major) = lhs [m, k] · rhs [k, n]`, on the calling thread.
fn matmul(dst: &mut [f32], (m, n): (usize, usize), lhs: Operand<'_>, rhs: Operand<'_>, k: usize) {
    if m == 0 || n == 0 {
        return;
    }
    assert_eq!(dst.len(), m * n);
    if k == 0 {
        dst.fill(0.0);
        return;
    }
    assert!(lhs.data.len() >= lhs.extent(m, k));
    assert!(rhs.data.len() >= rhs.extent(k, n));
    // SAFETY: the asserts above keep every index gemm reads or writes inside the
    // three slices; `dst` is borrowed mutably, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1).
    pub(super) fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| (xorshift(&mut state) >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
            .collect()
    }

    /// The next state of a xorshift64 generator (never 0 from a state that is not).
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The stage written the obvious way: loops over every output and tap.
    pub(super) fn reference(g: &Geometry, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
        let (ch, cw, win) = (g.conv_height(), g.conv_width(), g.window());
        let conv = |n: usize, o: usize, y: usize, xx: usize| {
            let mut sum = b[o];
            for c in 0..g.in_channels {
                for ki in 0..g.kernel {
                    for kj in 0..g.kernel {
                        let (iy, ix) = (
                            (y + ki) as isize - g.padding as isize,
                            (xx + kj) as isize - g.padding as isize,
                        );
                        if iy >= 0 && ix >= 0 && (iy as usize) < g.height && (ix as usize) < g.width
                        {
                            let xi = ((n * g.in_channels + c) * g.height + iy as usize) * g.width
                                + ix as usize;
                            let wi = ((o * g.in_channels + c) * g.kernel + ki) * g.kernel + kj;
                            sum += x[xi] * w[wi];
                        }
                    }
                }
            }
            sum.max(0.0)
        };
        let mut out = Vec::new();
        for n in 0..g.batch {
            for o in 0..g.out_channels {
                for py in 0..ch / win {
                    for px in 0..cw / win {
                        let mut best = f32::NEG_INFINITY;
                        for r in 0..win * win {
                            best = best.max(conv(n, o, py * win + r / win, px * win + r % win));
                        }
                        out.push(best);
                    }
                }
            }
        }
        out
    }

    /// A geometry from its fields in declaration order.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn geometry(
        batch: usize,
        in_channels: usize,
        height: usize,
        width: usize,
        out_channels: usize,
        kernel: usize,
        padding: usize,
        pool: bool,
    ) -> Geometry {
        Geometry {
            batch,
            in_channels,
            height,
            width,
            out_channels,
            kernel,
            padding,
            pool,
        }
    }

    pub(super) fn geometries() -> Vec<Geometry> {
        let g = geometry;
        vec![
            g(3, 1, 9, 7, 2, 3, 1, true), // odd conv output: the pool drops a row and a column
            g(2, 2, 6, 6, 3, 5, 2, true), // padding as wide as the kernel allows
            g(19, 3, 5, 5, 4, 5, 0, false), // 1×1 output, more than one chunk
            g(1, 2, 4, 8, 1, 1, 0, true), // 1×1 kernel
            g(2, 1, 11, 13, 7, 3, 0, false), // direct path: no pool, 4 + 3 channels
            g(3, 1, 10, 9, 2, 9, 1, false), // one channel but a kernel row wider than a vector
            g(2, 2, 12, 11, 2, 9, 0, true), // im2col backward: pooled, two channels, odd width
            g(6, 1, 6, 5, 2, 3, 1, true), // direct path over two chunks (4 + 2 images)
            g(2, 2, 7, 7, 17, 3, 1, true), // more output channels than 16: im2col forward
            g(5, 3, 8, 12, 16, 5, 0, true), // output channels filling the lanes; a row of 8
            g(2, 3, 9, 9, 12, 3, 1, true), // 12 output channels: a second 8-lane vector part-used
            g(2, 2, 3, 3, 4, 9, 4, true), // im2col, padding wider than the plane: columns that see nothing
        ]
    }

    /// `count` shapes drawn at random (always the same ones): kernels up to
    /// `max_kernel` wide, up to `max_out` output channels, up to 10 input channels,
    /// planes up to 16×16, padding up to the kernel + 1 — the edges included
    /// (padding wider than the plane, kernel columns that see no pixel, 1×1
    /// outputs).
    pub(super) fn random_geometries(
        count: usize,
        max_kernel: usize,
        max_out: usize,
    ) -> Vec<Geometry> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut below = |n: usize| (xorshift(&mut state) % n as u64) as usize;
        let mut all = Vec::new();
        while all.len() < count {
            let kernel = 1 + below(max_kernel);
            // Arguments are evaluated in order: batch, input channels, height,
            // width, output channels, padding, pool.
            let g = geometry(
                1 + below(6),
                1 + below(10),
                1 + below(16),
                1 + below(16),
                1 + below(max_out),
                kernel,
                below(kernel + 2),
                below(2) == 1,
            );
            if g.is_valid() {
                all.push(g);
            }
        }
        all
    }

    /// The largest |a − b|; infinite where either side is NaN (which `f32::max`
    /// would skip).
    pub(super) fn max_difference(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .map(|d| if d.is_nan() { f32::INFINITY } else { d })
            .fold(0.0, f32::max)
    }

    #[test]
    fn forward_matches_the_obvious_loops() {
        for g in geometries()
            .into_iter()
            .chain(random_geometries(150, 10, 24))
        {
            let x = values(g.batch * g.input_len(), 1);
            let w = values(g.out_channels * g.patch(), 2);
            let b = values(g.out_channels, 3);
            let fused = forward(&g, &x, &w, &b);
            assert_eq!(fused.output.len(), g.batch * g.output_len(), "{g:?}");
            let diff = max_difference(&fused.output, &reference(&g, &x, &w, &b));
            assert!(diff < tolerance(&g), "{g:?}: {diff}");
        }
    }

    /// How far a stage's outputs may be from the reference loops: float rounding,
    /// which grows with the number of products summed per output (1e-5 up to a
    /// little more than LeNet's 150).
    pub(super) fn tolerance(g: &Geometry) -> f32 {
        1e-5 * (g.patch() as f32 / 160.0).max(1.0)
    }

    /// The loss Σ gy·y is piecewise linear in every input, so a central difference
    /// with a small step is exact away from the kinks (none is this close here).
    #[test]
    fn backward_matches_finite_differences() {
        for g in geometries() {
            let x = values(g.batch * g.input_len(), 4);
            let w = values(g.out_channels * g.patch(), 5);
            let b = values(g.out_channels, 6);
            let gy = values(g.batch * g.output_len(), 7);
            let loss = |x: &[f32], w: &[f32], b: &[f32]| -> f64 {
                forward(&g, x, w, b)
                    .output
                    .iter()
                    .zip(&gy)
                    .map(|(y, d)| f64::from(y * d))
                    .sum()
            };
            let routes = forward(&g, &x, &w, &b).routes;
            let grads = backward(&g, &x, &w, &routes, &gy, true);
            let h = 1e-3f32;
            let numeric = |values: &[f32], i: usize, eval: &dyn Fn(&[f32]) -> f64| {
                let (mut up, mut down) = (values.to_vec(), values.to_vec());
                up[i] += h;
                down[i] -= h;
                ((eval(&up) - eval(&down)) / (2.0 * f64::from(h))) as f32
            };
            type Loss<'a> = &'a dyn Fn(&[f32]) -> f64;
            let cases: [(&str, &[f32], &[f32], Loss); 3] = [
                ("input", &x, grads.input.as_ref().unwrap(), &|v| {
                    loss(v, &w, &b)
                }),
                ("weight", &w, &grads.weight, &|v| loss(&x, v, &b)),
                ("bias", &b, &grads.bias, &|v| loss(&x, &w, v)),
            ];
            for (name, at, analytic, eval) in cases {
                for i in (0..at.len()).step_by(at.len().div_ceil(40)) {
                    let expected = numeric(at, i, eval);
                    assert!(
                        (analytic[i] - expected).abs() < 2e-2 * expected.abs().max(1.0),
                        "{g:?} d{name}[{i}]: {} vs {expected}",
                        analytic[i]
                    );
                }
            }
            // Asking for the input gradient does not change the others.
            let without_input = backward(&g, &x, &w, &routes, &gy, false);
            assert!(without_input.input.is_none());
            assert_eq!(without_input.weight, grads.weight, "{g:?}");
            assert_eq!(without_input.bias, grads.bias, "{g:?}");
        }
    }
}
