//! Convolution without im2col, for kernels up to 8 wide: the forward pass of a
//! stage with one input channel (LeNet's first) or with at most 16 output channels
//! (LeNet's second), and both gradients of any stage (both of LeNet's).
//!
//! Why: im2col writes K² shifted copies of every input plane, and a training step
//! did it twice (forward, and again for the weight gradient); with LeNet's small
//! planes that copying was the largest single cost of a step. With one input
//! channel the product is also only six rows tall, which leaves `gemm`'s register
//! tiles mostly empty. Here each input plane is copied once into a zero-padded
//! plane (whose rows are wide enough for whole vector loads where the loop loads
//! rows), and:
//!
//! - forward, one input channel: every conv row is a sum of K² shifted rows of
//!   that plane, each times one weight, for a few output channels at a time held
//!   in registers;
//! - forward, several input channels: the output channels lie in the lanes, and
//!   each output pixel is a sum over the C·K² taps of its input pixel (broadcast)
//!   times the tap's weights of every output channel (one or two vectors), a row of
//!   pixels at a time in registers ([`channels_in_lanes`]);
//! - weight gradient: only the pooled winners matter (a quarter of the conv
//!   outputs at most, those the ReLU passed): each adds its K×K input patch, times
//!   its gradient, to its channel's gradient. No dense gradient plane is built,
//!   nothing is unfolded, and a quarter of the matrix product's multiply-adds
//!   remain;
//! - input gradient: each winner adds its gradient times its channel's weights
//!   onto the patch it was computed from; no transposed product, no col2im.
//!
//! The gradients hold a kernel row in a vector, or — with a few input channels,
//! where that costs less ([`interleaves`]: LeNet's second stage) — the input
//! channels: the planes are then interleaved, a pixel's channels side by side
//! ([`Interleaved`]), so that one load is a tap of every channel.
//!
//! The bodies are written once over [`Lanes`], a vector of [`Lanes::WIDTH`]
//! floats, and compiled three times: AVX-512 (16 lanes) and AVX2 + FMA (8 lanes),
//! chosen at run time where the CPU has them ([`Simd::selected`]), and plain
//! arrays (8 lanes) for every other CPU; the crate requires no CPU feature at
//! build time, so without this the loops would get SSE2 at best. Each operation
//! takes the widest variant that is faster for it ([`Simd::for_forward`],
//! [`Simd::for_gradients`]).
//! Variants round differently (a fused multiply-add rounds once; a wider vector
//! adds in another order), so results agree across CPUs to float precision, not
//! bit for bit; on one machine they are deterministic.
//!
//! Differences from the matrix-product path that only show once training has
//! diverged: a non-winner's input pixel never enters the weight gradient (the
//! dense product multiplies it by 0, which turns an infinite pixel into NaN).

//!
//! One file per computation: [`forward`], [`weight_gradient`], [`input_gradient`];
//! the vector type in [`lanes`], the pool winners both gradients walk in
//! [`winners`], and the channel-interleaved layout in [`interleaved`].

use std::sync::OnceLock;

use super::{Geometry, NO_ROUTE, copy_short, sized, winner_offset};

/// The widest [`Lanes::WIDTH`] of any variant: the size of spill buffers.
const MAX_WIDTH: usize = 16;

/// The narrowest [`Lanes::WIDTH`] of any variant (portable and AVX2): what one
/// vector holds on every CPU, so that which shapes take which layout is one rule.
const MIN_WIDTH: usize = 8;

/// Kernel sizes with a loop of their own, fully unrolled (LeNet's 5×5); others
/// take the general loop. The direct path handles kernels up to [`MAX_KERNEL`].
const UNROLLED_KERNEL: usize = 5;

/// The largest kernel the direct path takes: one kernel row fits one vector of
/// the narrowest variant, so that which shapes take this path never depends on
/// the CPU.
const MAX_KERNEL: usize = MIN_WIDTH;

/// Output vectors computed together, so each weight is broadcast once for them.
const BLOCK: usize = 2;

/// The kernel side in a loop compiled for side `K`: `K`, or `g.kernel` where `K`
/// is 0 (the general loop).
#[inline(always)]
fn side<const K: usize>(g: &Geometry) -> usize {
    if K == 0 { g.kernel } else { K }
}

/// Calls `$f::<$generics…, K>($args)` with `K` = [`UNROLLED_KERNEL`] where `g`'s
/// kernel is that size (its loops unrolled), else with `K` = 0.
macro_rules! by_kernel_side {
    ($g:expr, $f:ident::<$($generic:tt),+>($($args:expr),*)) => {
        if $g.kernel == UNROLLED_KERNEL {
            $f::<$($generic),+, UNROLLED_KERNEL>($($args),*)
        } else {
            $f::<$($generic),+, 0>($($args),*)
        }
    };
}

mod forward;
mod input_gradient;
mod interleaved;
mod lanes;
mod weight_gradient;
mod winners;

#[cfg(test)]
mod tests;

use forward::convolve_with;
use input_gradient::input_gradient_with;
use lanes::{Lanes, Portable};
#[cfg(target_arch = "x86_64")]
use lanes::{avx2, avx512};
use weight_gradient::weight_gradient_with;

/// How a zero-padded input plane is laid out: rows of `stride` floats, as many as
/// the convolution reads (conv height + K − 1), then `slack` floats.
struct Plane {
    /// Row stride: `width`, plus K − 1.
    stride: usize,
    /// The conv width rounded up to what the loop computes at a time.
    width: usize,
    /// Floats after the last row.
    slack: usize,
}

impl Plane {
    /// For the loops that load vectors of `lanes` floats: rows of whole blocks of
    /// [`BLOCK`] vectors, and one vector of slack, so that a vector access starting
    /// anywhere in the last row stays inside (the farthest, a winner's row in the
    /// gradients, starts at most a conv width into it).
    fn new(g: &Geometry, lanes: usize) -> Self {
        Self::with_width(g, g.conv_width().next_multiple_of(BLOCK * lanes), lanes)
    }

    /// Rows `width` wide (at least the conv width) plus K − 1, and `slack` floats
    /// after them.
    fn with_width(g: &Geometry, width: usize, slack: usize) -> Self {
        Self {
            stride: width + g.kernel - 1,
            width,
            slack,
        }
    }

    /// Length of the buffer: every row, plus the slack.
    fn len(&self, g: &Geometry) -> usize {
        (g.conv_height() + g.kernel - 1) * self.stride + self.slack
    }

    /// Where the patch of conv pixel `(y, x)` of `image` starts in its first
    /// channel's plane, in planes `[images, C, len]`.
    #[inline(always)]
    fn corner(&self, g: &Geometry, image: usize, y: usize, x: usize) -> usize {
        image * g.in_channels * self.len(g) + y * self.stride + x
    }

    /// Copies every plane of `input` `[images, C, H, W]` into a padded plane of its
    /// own in `buffer` (`[images, C, len]`), zero around it, and returns them.
    fn fill_all<'a>(&self, g: &Geometry, input: &[f32], buffer: &'a mut Vec<f32>) -> &'a [f32] {
        let count = input.len() / (g.height * g.width);
        self.fill(g, input, sized(buffer, count * self.len(g)))
    }

    /// [`Plane::fill_all`] into `planes`, which holds exactly the planes.
    fn fill<'a>(&self, g: &Geometry, input: &[f32], planes: &'a mut [f32]) -> &'a [f32] {
        planes.fill(0.0);
        for (image, plane) in input
            .chunks_exact(g.height * g.width)
            .zip(planes.chunks_exact_mut(self.len(g)))
        {
            for (y, row) in image.chunks_exact(g.width).enumerate() {
                // Rows are short (LeNet's: 28 and 14): no call into `memcpy` each.
                copy_short(
                    &mut plane[(y + g.padding) * self.stride + g.padding..][..g.width],
                    row,
                );
            }
        }
        planes
    }
}

/// Whether [`convolve`] takes `g`: a kernel up to [`MAX_KERNEL`] wide (the limit
/// of the whole direct path, so that which shapes take it is one rule), and either
/// one input channel (rows of output pixels in the lanes) or at most [`MAX_WIDTH`]
/// output channels (the output channels in the lanes). Never depends on the CPU.
pub(super) fn convolves(g: &Geometry) -> bool {
    g.kernel <= MAX_KERNEL && (g.in_channels == 1 || g.out_channels <= MAX_WIDTH)
}

/// Whether [`weight_gradient`] takes `g`: each kernel row fits one vector.
pub(super) fn differentiates(g: &Geometry) -> bool {
    g.kernel <= MAX_KERNEL
}

/// One compilation of the loops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Simd {
    /// Plain arrays of 8: any CPU.
    Portable,
    /// AVX2 + FMA registers of 8.
    Avx2,
    /// AVX-512 registers of 16.
    Avx512,
}

impl Simd {
    /// Every variant this CPU can run, narrowest first.
    pub(crate) fn available() -> Vec<Simd> {
        let mut all = vec![Simd::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if avx2::Lanes8::available() {
                all.push(Simd::Avx2);
            }
            if avx512::Lanes16::available() {
                all.push(Simd::Avx512);
            }
        }
        all
    }

    /// The widest variant this CPU runs, or a narrower one where
    /// `LENET_SIMD=portable|avx2` asks for it (to measure what each gains; read
    /// once, never wider than the CPU allows).
    pub(crate) fn selected() -> Simd {
        static SELECTED: OnceLock<Simd> = OnceLock::new();
        *SELECTED.get_or_init(|| {
            let best = *Simd::available().last().expect("portable is always there");
            let asked = match std::env::var("LENET_SIMD").as_deref().map(str::trim) {
                Ok("portable") => Simd::Portable,
                Ok("avx2") => Simd::Avx2,
                _ => best,
            };
            asked.min(best)
        })
    }

    /// The variant the forward convolution uses: the selected one.
    pub(crate) fn for_forward() -> Simd {
        Simd::selected()
    }

    /// The variant the two gradients use: at most AVX2. Their vectors hold one
    /// kernel row (5 floats of LeNet's) and are loaded once per winner, so 16
    /// lanes only load more; measured on two AMD EPYCs (Zen 4, Zen 5) and an
    /// Intel Xeon, a training step was slower with them (docs/PERFORMANCE.md).
    pub(crate) fn for_gradients() -> Simd {
        Simd::selected().min(Simd::Avx2)
    }

    /// The variant's name, as `LENET_SIMD` spells it.
    #[cfg(test)]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Simd::Portable => "portable",
            Simd::Avx2 => "avx2",
            Simd::Avx512 => "avx512",
        }
    }
}

/// Runs the loop `$body` (generic over [`Lanes`]) compiled as `$simd`, with
/// `$args`; a variant the CPU lacks runs portably instead.
macro_rules! dispatch {
    ($simd:expr, $body:ident($($args:expr),*)) => {
        match $simd {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has AVX2 and FMA (checked here: the cached answer).
            Simd::Avx2 if avx2::Lanes8::available() => unsafe { avx2::Lanes8::$body($($args),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has AVX-512F (checked here).
            Simd::Avx512 if avx512::Lanes16::available() => unsafe {
                avx512::Lanes16::$body($($args),*)
            },
            _ => $body::<Portable>($($args),*),
        }
    };
}

/// Writes the convolution (no bias) of `input` `[images, C, H, W]` into `conv`
/// `[O, images · conv pixels]`, the layout the matrix-product path produces,
/// with the loops compiled as `simd` ([`Simd::for_forward`]); `g` is one that
/// [`convolves`] takes.
pub(super) fn convolve(
    simd: Simd,
    g: &Geometry,
    input: &[f32],
    weight: &[f32],
    plane: &mut Vec<f32>,
    conv: &mut [f32],
) {
    dispatch!(simd, convolve_with(g, input, weight, plane, conv))
}

/// The weight and bias gradients of a stage over `input` `[images, C, H, W]`, from
/// the routes its forward pass recorded ([`Simd::for_gradients`]).
pub(super) fn weight_gradient(
    simd: Simd,
    g: &Geometry,
    input: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    plane: &mut Vec<f32>,
) -> (Vec<f32>, Vec<f32>) {
    dispatch!(
        simd,
        weight_gradient_with(g, input, routes, grad_output, plane)
    )
}

/// Writes the gradient of a stage's input `[images, C, H, W]` into `grad_input`,
/// from the routes its forward pass recorded: each winner adds its gradient
/// times its channel's weights onto the K×K patch it was computed from
/// ([`Simd::for_gradients`]).
pub(super) fn input_gradient(
    simd: Simd,
    g: &Geometry,
    weight: &[f32],
    routes: &[u8],
    grad_output: &[f32],
    scratch: &mut Vec<f32>,
    grad_input: &mut [f32],
) {
    dispatch!(
        simd,
        input_gradient_with(g, weight, routes, grad_output, scratch, grad_input)
    )
}
