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

use std::sync::OnceLock;

use super::{Geometry, NO_ROUTE, winner_offset};

/// The widest [`Lanes::WIDTH`] of any variant: the size of spill buffers.
const MAX_WIDTH: usize = 16;

/// The narrowest [`Lanes::WIDTH`] of any variant (portable and AVX2): what one
/// vector holds on every CPU, so that which shapes take which layout is one rule.
const MIN_WIDTH: usize = 8;

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
        self.fill(g, input, super::sized(buffer, count * self.len(g)))
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
                super::copy_short(
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

/// A vector of `WIDTH` `f32` lanes: what the loops below compute with.
trait Lanes: Copy {
    /// Floats per vector; at least [`MIN_WIDTH`], at most [`MAX_WIDTH`].
    const WIDTH: usize;
    fn splat(value: f32) -> Self;
    /// The first `WIDTH` values of `from`.
    fn load(from: &[f32]) -> Self;
    /// Into the first `WIDTH` values of `to`.
    fn store(self, to: &mut [f32]);
    /// `self · b + c`.
    fn mul_add(self, b: Self, c: Self) -> Self;
    fn add(self, b: Self) -> Self;
}

/// [`Lanes`] as a plain array, for any CPU.
#[derive(Clone, Copy)]
struct Portable([f32; 8]);

impl Lanes for Portable {
    const WIDTH: usize = 8;

    #[inline(always)]
    fn splat(value: f32) -> Self {
        Self([value; 8])
    }

    #[inline(always)]
    fn load(from: &[f32]) -> Self {
        Self(from[..8].try_into().expect("8 values"))
    }

    #[inline(always)]
    fn store(self, to: &mut [f32]) {
        to[..8].copy_from_slice(&self.0);
    }

    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] * b.0[i] + c.0[i]))
    }

    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] + b.0[i]))
    }
}

/// A [`Lanes`] type over one x86 register type, and the loops compiled for it:
/// `$name` wraps `$register`; `$feature` is what it needs (`target_feature`
/// names), `$detect` how to see it at run time; the intrinsics follow.
///
/// Values of the type are made only inside the `#[target_feature]` functions the
/// macro writes (its field is private to its module), which [`dispatch`] enters
/// only after checking that the CPU has the features.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_lanes {
    (
        $module:ident, $name:ident($register:ty, $width:literal),
        feature = $feature:literal, detect = [$($detect:tt),+],
        $set1:ident, $loadu:ident, $storeu:ident, $fmadd:ident, $addps:ident $(,)?
    ) => {
        mod $module {
            use super::{Geometry, Lanes};
            use std::arch::x86_64::*;

            #[derive(Clone, Copy)]
            pub(super) struct $name($register);

            impl $name {
                pub(super) fn available() -> bool {
                    true $(&& std::arch::is_x86_feature_detected!($detect))+
                }

                #[target_feature(enable = $feature)]
                pub(super) fn convolve_with(
                    g: &Geometry,
                    input: &[f32],
                    weight: &[f32],
                    plane: &mut Vec<f32>,
                    conv: &mut [f32],
                ) {
                    super::convolve_with::<Self>(g, input, weight, plane, conv);
                }

                #[target_feature(enable = $feature)]
                pub(super) fn weight_gradient_with(
                    g: &Geometry,
                    input: &[f32],
                    routes: &[u8],
                    grad_output: &[f32],
                    plane: &mut Vec<f32>,
                ) -> (Vec<f32>, Vec<f32>) {
                    super::weight_gradient_with::<Self>(g, input, routes, grad_output, plane)
                }

                #[target_feature(enable = $feature)]
                pub(super) fn input_gradient_with(
                    g: &Geometry,
                    weight: &[f32],
                    routes: &[u8],
                    grad_output: &[f32],
                    scratch: &mut Vec<f32>,
                    grad_input: &mut [f32],
                ) {
                    super::input_gradient_with::<Self>(
                        g,
                        weight,
                        routes,
                        grad_output,
                        scratch,
                        grad_input,
                    );
                }
            }

            // SAFETY (all five): a value of this type exists only on a CPU with
            // the features (see the macro's doc), and slices are checked to hold
            // `WIDTH` values before their pointer is used.
            impl Lanes for $name {
                const WIDTH: usize = $width;

                #[inline(always)]
                fn splat(value: f32) -> Self {
                    Self(unsafe { $set1(value) })
                }

                #[inline(always)]
                fn load(from: &[f32]) -> Self {
                    let from = &from[..$width];
                    Self(unsafe { $loadu(from.as_ptr()) })
                }

                #[inline(always)]
                fn store(self, to: &mut [f32]) {
                    let to = &mut to[..$width];
                    unsafe { $storeu(to.as_mut_ptr(), self.0) }
                }

                #[inline(always)]
                fn mul_add(self, b: Self, c: Self) -> Self {
                    Self(unsafe { $fmadd(self.0, b.0, c.0) })
                }

                #[inline(always)]
                fn add(self, b: Self) -> Self {
                    Self(unsafe { $addps(self.0, b.0) })
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
x86_lanes!(
    avx2,
    Lanes8(__m256, 8),
    feature = "avx2,fma",
    detect = ["avx2", "fma"],
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
);

#[cfg(target_arch = "x86_64")]
x86_lanes!(
    avx512,
    Lanes16(__m512, 16),
    feature = "avx512f",
    detect = ["avx512f"],
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
);

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

#[inline(always)]
fn convolve_with<V: Lanes>(
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

/// The pool winners of one output channel at a time, each as where its patch
/// starts in an input buffer and its gradient. The slots are sized once for all
/// of a channel's outputs, so listing neither allocates nor clears.
#[derive(Default)]
struct Winners {
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
    fn of_channel(
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
fn weight_gradient_with<V: Lanes>(
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
fn interleaves(g: &Geometry) -> bool {
    differentiates(g) && g.in_channels <= MIN_WIDTH && 3 * g.kernel < 4 * g.in_channels
}

/// Input planes with the channels interleaved, `[images, rows, columns, lanes]`:
/// each pixel's C channels side by side in one vector (zero past C), zero-padded
/// around the input as the convolution reads it. A vector load at a pixel is all
/// its channels.
struct Interleaved {
    rows: usize,
    columns: usize,
    lanes: usize,
}

impl Interleaved {
    fn new(g: &Geometry, lanes: usize) -> Self {
        debug_assert!(g.in_channels <= lanes);
        Self {
            rows: g.height + 2 * g.padding,
            columns: g.width + 2 * g.padding,
            lanes,
        }
    }

    /// Floats per image.
    fn len(&self) -> usize {
        self.rows * self.columns * self.lanes
    }

    /// Where the patch of conv pixel `(y, x)` of `image` starts.
    #[inline(always)]
    fn corner(&self, image: usize, y: usize, x: usize) -> usize {
        image * self.len() + (y * self.columns + x) * self.lanes
    }

    /// `input` `[images, C, H, W]` interleaved into `planes` (`images · len`).
    fn fill(&self, g: &Geometry, input: &[f32], planes: &mut [f32]) {
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
    fn rows(&self, g: &Geometry, image: usize) -> impl Iterator<Item = usize> {
        (0..g.in_channels).flat_map(move |c| {
            (0..g.height).map(move |y| self.corner(image, y + g.padding, g.padding) + c)
        })
    }
}

/// Kernel rows whose gradient one pass over the winners sums in registers in
/// [`interleaved_weight_gradient`]: as many as keep about this many accumulators,
/// enough independent multiply-adds to hide their latency, few enough to leave
/// AVX2's 16 registers room for the loads.
const ROW_ACCUMULATORS: usize = 12;

/// The most kernel rows one pass takes: [`ROW_ACCUMULATORS`] / K for K ≥ 4, and
/// every row for K ≤ 3 (each count has its own compiled [`tap_sums`]).
const MAX_ROWS_PER_PASS: usize = 3;

/// Kernel rows one pass of [`interleaved_weight_gradient`] takes for side `k`.
fn rows_per_pass(k: usize) -> usize {
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

#[inline(always)]
fn input_gradient_with<V: Lanes>(
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

#[cfg(test)]
mod tests {
    use super::super::tests::{
        geometries, geometry, max_difference, random_geometries, reference, tolerance, values,
    };
    use super::super::{Geometry, Operand, bias_relu_pool, fold, forward, matmul, route_back};
    use super::*;

    /// LeNet's two stages (batch 4: one chunk).
    fn lenet() -> [Geometry; 2] {
        let first = Geometry {
            batch: 4,
            in_channels: 1,
            height: 28,
            width: 28,
            out_channels: 6,
            kernel: 5,
            padding: 2,
            pool: true,
        };
        let second = Geometry {
            in_channels: 6,
            height: 14,
            width: 14,
            out_channels: 16,
            padding: 0,
            ..first
        };
        [first, second]
    }

    /// Shapes at the edges of the direct path's layout.
    fn edges() -> [Geometry; 8] {
        [
            geometry(6, 1, 13, 16, 3, 1, 0, true), // conv width exactly two vectors; 1×1 kernel
            geometry(2, 1, 5, 32, 5, 1, 0, false), // exactly two 16-lane vectors
            geometry(2, 2, 7, 37, 3, 4, 1, true),  // conv width 36: 16-lane blocks with a tail
            geometry(2, 1, 10, 9, 2, 8, 7, true),  // the widest kernel, padded by kernel − 1
            geometry(3, 3, 9, 11, 5, 2, 1, true),  // an even kernel over three channels
            geometry(2, 8, 9, 9, 5, 3, 1, true),   // gradients: a full vector of input channels
            geometry(2, 7, 12, 12, 3, 8, 2, false), // gradients: channels in lanes, one row a pass
            geometry(1, 9, 8, 8, 4, 3, 0, true),   // gradients: too many channels for one vector
        ]
    }

    /// The kernel tests' geometries, LeNet's and the edges, those `keep` takes.
    fn taken_by(keep: fn(&Geometry) -> bool) -> Vec<Geometry> {
        let all: Vec<Geometry> = geometries()
            .into_iter()
            .chain(lenet())
            .chain(edges())
            .filter(keep)
            .collect();
        assert!(all.len() >= 3);
        all
    }

    /// Inputs for one geometry: images, weights, biases, an output gradient, and
    /// the routes the forward pass records for them.
    struct Case {
        x: Vec<f32>,
        w: Vec<f32>,
        b: Vec<f32>,
        gy: Vec<f32>,
        routes: Vec<u8>,
    }

    impl Case {
        fn new(g: &Geometry, seed: u64) -> Self {
            let x = values(g.batch * g.input_len(), seed);
            let w = values(g.out_channels * g.patch(), seed + 1);
            let b = values(g.out_channels, seed + 2);
            let gy = values(g.batch * g.output_len(), seed + 3);
            let routes = forward(g, &x, &w, &b).routes;
            Self {
                x,
                w,
                b,
                gy,
                routes,
            }
        }

        /// Checks that the routes hold both winners and outputs without one, or
        /// a gradient test would not test routing.
        fn mixed(self) -> Self {
            let routes = &self.routes;
            assert!(routes.contains(&NO_ROUTE) && routes.iter().any(|&r| r != NO_ROUTE));
            self
        }
    }

    /// What the forward pass gives when the convolution is compiled as `simd`
    /// (one chunk).
    fn stage_output(g: &Geometry, x: &[f32], w: &[f32], b: &[f32], simd: Simd) -> Vec<f32> {
        let mut conv = vec![0.0; g.out_channels * g.batch * g.conv_pixels()];
        convolve(simd, g, x, w, &mut Vec::new(), &mut conv);
        let mut output = vec![0.0; g.batch * g.output_len()];
        let mut routes = vec![NO_ROUTE; output.len()];
        bias_relu_pool(g, g.batch, &conv, b, &mut output, &mut routes);
        output
    }

    /// Every compilation this CPU runs, named on stderr so a test log says
    /// which ran.
    fn variants() -> Vec<Simd> {
        let all = Simd::available();
        let names: Vec<&str> = all.iter().map(|v| v.name()).collect();
        eprintln!("direct kernels tested as: {}", names.join(", "));
        all
    }

    #[test]
    fn every_variant_the_cpu_has_is_tested() {
        let all = variants();
        assert_eq!(all[0], Simd::Portable);
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            assert_eq!(all.contains(&Simd::Avx2), avx2);
            assert_eq!(
                all.contains(&Simd::Avx512),
                is_x86_feature_detected!("avx512f")
            );
        }
        assert!(all.contains(&Simd::selected()));
        assert!(Simd::for_gradients() <= Simd::Avx2);
    }

    #[test]
    fn convolution_matches_the_obvious_loops() {
        assert!(
            lenet().iter().all(convolves),
            "LeNet's stages take the direct forward"
        );
        for g in taken_by(convolves) {
            check_convolution(&g, &Case::new(&g, 11));
        }
    }

    fn check_convolution(g: &Geometry, case: &Case) {
        let Case { x, w, b, .. } = case;
        let expected = reference(g, x, w, b);
        for simd in variants() {
            let diff = max_difference(&stage_output(g, x, w, b, simd), &expected);
            assert!(diff < tolerance(g), "{simd:?} {g:?}: {diff}");
        }
    }

    /// The forward pass and both gradients on 150 random shapes, every variant.
    #[test]
    fn every_direct_kernel_matches_on_random_shapes() {
        let shapes = random_geometries(150, MAX_KERNEL, MAX_WIDTH + 4);
        let several_inputs = shapes
            .iter()
            .filter(|g| convolves(g) && g.in_channels > 1)
            .count();
        assert!(several_inputs > 40, "{several_inputs}");
        for (i, g) in shapes.iter().enumerate() {
            let case = Case::new(g, 100 + i as u64);
            if convolves(g) {
                check_convolution(g, &case);
            }
            if differentiates(g) {
                check_weight_gradient(g, &case);
                check_input_gradient(g, &case);
            }
        }
    }

    /// The weight gradient written the obvious way: the dense gradient of every
    /// conv output (from the routes) times every input pixel it touched.
    fn reference_weight_gradient(g: &Geometry, x: &[f32], routes: &[u8], gy: &[f32]) -> Vec<f32> {
        let (ch, cw) = (g.conv_height(), g.conv_width());
        let mut dense = vec![0.0; g.out_channels * g.batch * g.conv_pixels()];
        route_back(g, g.batch, routes, gy, &mut dense);
        let mut dw = vec![0.0f32; g.out_channels * g.patch()];
        for o in 0..g.out_channels {
            for n in 0..g.batch {
                for (y, xx) in (0..ch).flat_map(|y| (0..cw).map(move |xx| (y, xx))) {
                    let d = dense[(o * g.batch + n) * g.conv_pixels() + y * cw + xx];
                    for c in 0..g.in_channels {
                        for (ky, kx) in
                            (0..g.kernel).flat_map(|i| (0..g.kernel).map(move |j| (i, j)))
                        {
                            let (iy, ix) = (
                                (y + ky).wrapping_sub(g.padding),
                                (xx + kx).wrapping_sub(g.padding),
                            );
                            if iy < g.height && ix < g.width {
                                let input =
                                    x[((n * g.in_channels + c) * g.height + iy) * g.width + ix];
                                dw[((o * g.in_channels + c) * g.kernel + ky) * g.kernel + kx] +=
                                    d * input;
                            }
                        }
                    }
                }
            }
        }
        dw
    }

    /// The weight and bias gradients from the winners alone equal the obvious
    /// sums (the kernel's tests also check them against finite differences).
    #[test]
    fn weight_gradient_matches_the_obvious_loops() {
        for g in taken_by(differentiates) {
            check_weight_gradient(&g, &Case::new(&g, 21).mixed());
        }
    }

    fn check_weight_gradient(g: &Geometry, case: &Case) {
        let Case { x, gy, routes, .. } = case;
        let expected = reference_weight_gradient(g, x, routes, gy);
        let expected_bias: Vec<f32> = (0..g.out_channels)
            .map(|o| {
                (0..g.batch)
                    .flat_map(|n| {
                        let at = (n * g.out_channels + o) * g.out_height() * g.out_width();
                        at..at + g.out_height() * g.out_width()
                    })
                    .filter(|&i| routes[i] != NO_ROUTE)
                    .map(|i| gy[i])
                    .sum()
            })
            .collect();
        for simd in variants() {
            let (dw, db) = weight_gradient(simd, g, x, routes, gy, &mut Vec::new());
            // Rounding grows with the winners summed per weight.
            let bound = 1e-4 * (g.batch * g.conv_pixels()) as f32 / 4096.0;
            let bound = bound.max(1e-4);
            assert!(max_difference(&dw, &expected) < bound, "{simd:?} {g:?}");
            assert!(
                max_difference(&db, &expected_bias) < bound,
                "{simd:?} {g:?}"
            );
        }
    }

    /// The input gradient from the winners equals the matrix product path's
    /// (dense routed gradient, weightsᵀ · it, folded back), which
    /// `backward_matches_finite_differences` checks on small geometries.
    #[test]
    fn input_gradient_matches_the_matrix_product() {
        for g in taken_by(differentiates) {
            check_input_gradient(&g, &Case::new(&g, 31).mixed());
        }
    }

    fn check_input_gradient(g: &Geometry, case: &Case) {
        let Case {
            x, w, gy, routes, ..
        } = case;
        let columns = g.batch * g.conv_pixels();
        let mut dense = vec![0.0; g.out_channels * columns];
        route_back(g, g.batch, routes, gy, &mut dense);
        let mut unfolded = vec![0.0; g.patch() * columns];
        matmul(
            &mut unfolded,
            (g.patch(), columns),
            Operand::transposed(w, g.patch()),
            Operand::row_major(&dense, columns),
            g.out_channels,
        );
        let mut expected = vec![0.0; x.len()];
        fold(g, &unfolded, &mut expected);
        for simd in variants() {
            // Garbage in the output buffer must not matter: it is overwritten.
            let mut dx = vec![f32::NAN; x.len()];
            input_gradient(simd, g, w, routes, gy, &mut Vec::new(), &mut dx);
            let diff = max_difference(&dx, &expected);
            assert!(diff < 1e-4, "{simd:?} {g:?}: {diff}");
        }
    }

    /// A non-finite output gradient reaches the pixels of its own patch only, as
    /// in the matrix-product path (zero-padded weight lanes must not spread it),
    /// on both layouts: LeNet's second stage (channels in the lanes) and nine
    /// input channels (a kernel row per vector).
    #[test]
    fn a_non_finite_gradient_stays_in_its_patch() {
        let [_, lenet] = lenet();
        let wide = edges()[7];
        assert!(interleaves(&lenet) && !interleaves(&wide));
        for g in [lenet, wide] {
            let Case {
                x,
                w,
                mut gy,
                routes,
                ..
            } = Case::new(&g, 41).mixed();
            let first = routes.iter().position(|&r| r != NO_ROUTE).unwrap();
            gy[first] = f32::INFINITY;
            for simd in variants() {
                let mut dx = vec![0.0; x.len()];
                input_gradient(simd, &g, &w, &routes, &gy, &mut Vec::new(), &mut dx);
                let touched = dx.iter().filter(|v| !v.is_finite()).count();
                assert!(touched > 0, "{simd:?} {g:?}: the infinite gradient arrives");
                assert!(
                    touched <= g.in_channels * g.kernel * g.kernel,
                    "{simd:?} {g:?}: {touched} pixels non-finite: more than one {}×{} patch per channel",
                    g.kernel,
                    g.kernel
                );
            }
        }
    }

    /// The curated shapes take both layouts of the gradients, and every pass
    /// size of the interleaved one, so each compiled loop is tested.
    #[test]
    fn the_curated_shapes_take_every_gradient_loop() {
        let shapes = taken_by(differentiates);
        assert!(shapes.iter().any(|g| !interleaves(g)));
        for rows in 1..=MAX_ROWS_PER_PASS {
            let taken = shapes
                .iter()
                .any(|g| interleaves(g) && rows_per_pass(g.kernel) == rows);
            assert!(taken, "{rows} rows a pass");
        }
    }
}
