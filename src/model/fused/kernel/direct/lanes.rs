//! The vector the loops compute with ([`Lanes`]), as a plain array for any CPU
//! and as AVX2 and AVX-512 registers, each with the loops compiled for it.

#[cfg(target_arch = "x86_64")]
use super::{Geometry, convolve_with, input_gradient_with, weight_gradient_with};

/// A vector of `WIDTH` `f32` lanes: what the loops below compute with.
pub(super) trait Lanes: Copy {
    /// Floats per vector; at least [`MIN_WIDTH`](super::MIN_WIDTH), at most
    /// [`MAX_WIDTH`](super::MAX_WIDTH).
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
pub(super) struct Portable([f32; 8]);

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
        pub(super) mod $module {
            use super::{Geometry, Lanes};
            use std::arch::x86_64::*;

            #[derive(Clone, Copy)]
            pub(in super::super) struct $name($register);

            impl $name {
                pub(in super::super) fn available() -> bool {
                    true $(&& std::arch::is_x86_feature_detected!($detect))+
                }

                #[target_feature(enable = $feature)]
                pub(in super::super) fn convolve_with(
                    g: &Geometry,
                    input: &[f32],
                    weight: &[f32],
                    plane: &mut Vec<f32>,
                    conv: &mut [f32],
                ) {
                    super::convolve_with::<Self>(g, input, weight, plane, conv);
                }

                #[target_feature(enable = $feature)]
                pub(in super::super) fn weight_gradient_with(
                    g: &Geometry,
                    input: &[f32],
                    routes: &[u8],
                    grad_output: &[f32],
                    plane: &mut Vec<f32>,
                ) -> (Vec<f32>, Vec<f32>) {
                    super::weight_gradient_with::<Self>(g, input, routes, grad_output, plane)
                }

                #[target_feature(enable = $feature)]
                pub(in super::super) fn input_gradient_with(
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
