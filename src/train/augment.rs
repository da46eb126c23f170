//! Random distortions of training digits: the classic affine ones (rotation,
//! scale, shift; slant and width on request) and a smooth warp, which make a small network generalise to
//! other writers; and the differences users' pictures keep after
//! preprocessing — stroke width, blur, fainter ink — so that it reads them too;
//! and, first, other writers' ways of writing a 1, a 7 or a 9 (`writing.rs`).

use super::config::Augmentation;
use super::writing::{add_foot_or_tail, write_otherwise};
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::raster::{self, Edge};
use crate::rng::Rng;

/// Cells of the warp's control grid along each side.
const WARP_CELLS: usize = 4;

impl Augmentation {
    /// Writes a randomly distorted copy of `image` (28×28 bytes, showing the
    /// digit `label`) into `out` as values in [0, 1], sampling bilinearly;
    /// pixels from outside are background.
    pub(crate) fn apply(&self, image: &[u8], label: u8, rng: &mut Rng, out: &mut [f32]) {
        // Drawn only when asked for, as the kinds below, in this order.
        let mut redrawn: Option<Vec<u8>> = None;
        if self.other_writing > 0.0 && rng.next_f32() < self.other_writing {
            write_otherwise(redrawn.get_or_insert_with(|| image.to_vec()), label, rng);
        }
        if self.feet_and_tails > 0.0 && rng.next_f32() < self.feet_and_tails {
            add_foot_or_tail(redrawn.get_or_insert_with(|| image.to_vec()), label, rng);
        }
        let image = redrawn.as_deref().unwrap_or(image);
        let angle = rng
            .uniform(-self.max_rotation_deg, self.max_rotation_deg)
            .to_radians();
        let scale = 1.0 + rng.uniform(-self.max_scale, self.max_scale);
        let shift_x = rng.uniform(-self.max_shift, self.max_shift);
        let shift_y = rng.uniform(-self.max_shift, self.max_shift);
        // Drawn only when asked for, so that runs saved before these two
        // existed draw the same numbers, and resume exactly.
        let shear = if self.max_shear > 0.0 {
            rng.uniform(-self.max_shear, self.max_shear)
        } else {
            0.0
        };
        let aspect = if self.max_aspect > 0.0 {
            (1.0 + rng.uniform(-self.max_aspect, self.max_aspect)).max(0.1)
        } else {
            1.0
        };
        let warp = (self.max_warp > 0.0).then(|| Warp::random(self.max_warp, rng));
        // Map each output pixel back to where it comes from: undo the warp and
        // the shift, then the rotation and scale about the image centre, then
        // the shear, then the aspect (the forward map is rotation · scale ·
        // shear · aspect).
        let centre = (IMAGE_SIDE as f32 - 1.0) / 2.0;
        let (sin, cos) = angle.sin_cos();
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let (wx, wy) = warp.as_ref().map_or((0.0, 0.0), |w| w.at(x, y));
                let dx = x as f32 + wx - centre - shift_x;
                let dy = y as f32 + wy - centre - shift_y;
                let u = (cos * dx + sin * dy) / scale;
                let v = (-sin * dx + cos * dy) / scale;
                let sx = (u - shear * v) / aspect + centre;
                let sy = v * aspect + centre;
                out[y * IMAGE_SIDE + x] = raster::bilinear(image, IMAGE_SIDE, sx, sy) / 255.0;
            }
        }
        if self.max_stroke_change > 0.0 {
            let change = rng.uniform(-self.max_stroke_change, self.max_stroke_change);
            change_strokes(out, change);
        }
        if self.max_blur > 0.0 {
            let sigma = rng.uniform(0.0, self.max_blur);
            blur(out, sigma);
        }
        if self.min_ink < 1.0 {
            let ink = rng.uniform(self.min_ink, 1.0);
            out.iter_mut().for_each(|v| *v *= ink);
        }
    }
}

/// Displacements on a (cells + 1)² grid of control points, bilinear between.
struct Warp {
    points: [[(f32, f32); WARP_CELLS + 1]; WARP_CELLS + 1],
}

impl Warp {
    fn random(max: f32, rng: &mut Rng) -> Self {
        let mut points = [[(0.0, 0.0); WARP_CELLS + 1]; WARP_CELLS + 1];
        for row in &mut points {
            for point in row.iter_mut() {
                *point = (rng.uniform(-max, max), rng.uniform(-max, max));
            }
        }
        Self { points }
    }

    fn at(&self, x: usize, y: usize) -> (f32, f32) {
        let cell = (IMAGE_SIDE - 1) as f32 / WARP_CELLS as f32;
        let (gx, gy) = (x as f32 / cell, y as f32 / cell);
        let (i, j) = (
            (gx as usize).min(WARP_CELLS - 1),
            (gy as usize).min(WARP_CELLS - 1),
        );
        let (fx, fy) = (gx - i as f32, gy - j as f32);
        let p = &self.points;
        let mix = |a: f32, b: f32, t: f32| a + (b - a) * t;
        let along =
            |k: usize, pick: fn(&(f32, f32)) -> f32| mix(pick(&p[k][i]), pick(&p[k][i + 1]), fx);
        (
            mix(along(j, |d| d.0), along(j + 1, |d| d.0), fy),
            mix(along(j, |d| d.1), along(j + 1, |d| d.1), fy),
        )
    }
}

/// Moves each value a fraction `change` of the way to its 3×3 neighbourhood's
/// largest (`change` > 0: thicker strokes) or smallest (< 0: thinner).
fn change_strokes(values: &mut [f32], change: f32) {
    let source: [f32; IMAGE_PIXELS] = values.try_into().expect("a 28×28 image");
    let side = IMAGE_SIDE as i64;
    for y in 0..side {
        for x in 0..side {
            let mut extreme = source[(y * side + x) as usize];
            for (dx, dy) in (-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (dx, dy))) {
                let (nx, ny) = (x + dx, y + dy);
                let v = if (0..side).contains(&nx) && (0..side).contains(&ny) {
                    source[(ny * side + nx) as usize]
                } else {
                    0.0
                };
                extreme = if change > 0.0 {
                    extreme.max(v)
                } else {
                    extreme.min(v)
                };
            }
            let v = &mut values[(y * side + x) as usize];
            *v += change.abs() * (extreme - *v);
        }
    }
}

/// A separable Gaussian blur of `sigma` px (radius 2σ, at most 3 px); the
/// background beyond the edge is black.
fn blur(values: &mut [f32], sigma: f32) {
    if sigma < 0.05 {
        return;
    }
    let radius = (2.0 * sigma).ceil().min(3.0) as usize;
    raster::gaussian_blur(values, IMAGE_SIDE, sigma, radius, Edge::Black);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every distortion off.
    fn undistorted() -> Augmentation {
        Augmentation::new()
            .with_max_rotation_deg(0.0)
            .with_max_scale(0.0)
            .with_max_shift(0.0)
            .with_max_warp(0.0)
            .with_max_stroke_change(0.0)
            .with_max_blur(0.0)
            .with_min_ink(1.0)
    }

    #[test]
    fn no_distortion_is_the_identity_and_distortions_keep_the_ink() {
        let mut image = [0u8; 784];
        for y in 8..20 {
            for x in 12..16 {
                image[y * 28 + x] = 255;
            }
        }
        let none = undistorted();
        let mut out = [0f32; 784];
        none.apply(&image, 0, &mut Rng::derive(1, &[]), &mut out);
        for (o, &i) in out.iter().zip(&image) {
            assert!((o - i as f32 / 255.0).abs() < 1e-5);
        }
        let ink: f32 = out.iter().sum();
        let mut rng = Rng::derive(2, &[]);
        for _ in 0..20 {
            Augmentation::new().apply(&image, 0, &mut rng, &mut out);
            let distorted: f32 = out.iter().sum();
            assert!(
                (0.35..2.0).contains(&(distorted / ink)),
                "{distorted} vs {ink}"
            );
            assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }

    #[test]
    fn strokes_thicken_and_thin_blur_spreads_and_ink_fades() {
        let mut bar = [0f32; IMAGE_PIXELS];
        for y in 6..22 {
            for x in 13..15 {
                bar[y * IMAGE_SIDE + x] = 1.0;
            }
        }
        let ink = |v: &[f32]| v.iter().sum::<f32>();
        let (mut thick, mut thin, mut blurred) = (bar, bar, bar);
        change_strokes(&mut thick, 0.5);
        change_strokes(&mut thin, -0.5);
        blur(&mut blurred, 1.0);
        assert!(ink(&thick) > 1.5 * ink(&bar) && ink(&thin) < 0.7 * ink(&bar));
        assert!(
            (ink(&blurred) / ink(&bar) - 1.0).abs() < 0.02,
            "blur keeps the ink"
        );
        assert!(blurred[14 * IMAGE_SIDE + 16] > 0.0 && bar[14 * IMAGE_SIDE + 16] == 0.0);
        let faint = undistorted().with_min_ink(0.5);
        let image: Vec<u8> = bar.iter().map(|&v| (v * 255.0) as u8).collect();
        let mut out = [0f32; IMAGE_PIXELS];
        faint.apply(&image, 0, &mut Rng::derive(5, &[]), &mut out);
        let peak = out.iter().cloned().fold(0.0, f32::max);
        assert!((0.5..1.0).contains(&peak), "{peak}");
    }

    #[test]
    fn shear_slants_a_bar_and_aspect_narrows_or_widens_it() {
        let mut image = [0u8; IMAGE_PIXELS];
        for y in 6..22 {
            image[y * IMAGE_SIDE + 13] = 255;
            image[y * IMAGE_SIDE + 14] = 255;
        }
        let column_of_ink = |out: &[f32], row: usize| {
            raster::centre_of_ink(&out[row * IMAGE_SIDE..(row + 1) * IMAGE_SIDE])
        };
        let (mut top_moves, mut widths) = (Vec::new(), Vec::new());
        let mut rng = Rng::derive(3, &[]);
        for _ in 0..40 {
            let mut out = [0f32; IMAGE_PIXELS];
            let sheared = undistorted().with_max_shear(0.3);
            sheared.apply(&image, 0, &mut rng, &mut out);
            top_moves.push(column_of_ink(&out, 7) - column_of_ink(&out, 20));
            let stretched = undistorted().with_max_aspect(0.3);
            stretched.apply(&image, 0, &mut rng, &mut out);
            widths.push(out[14 * IMAGE_SIDE..15 * IMAGE_SIDE].iter().sum::<f32>());
        }
        let range = |v: &[f32]| {
            let lo = v.iter().cloned().fold(f32::INFINITY, f32::min);
            let hi = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            (lo, hi)
        };
        // A shear of up to 0.3 px per px over 13 rows: the top up to ~4 px either way.
        let (lo, hi) = range(&top_moves);
        assert!(lo < -1.5 && hi > 1.5 && lo > -4.5 && hi < 4.5, "{lo}..{hi}");
        // The bar is 2 px wide: up to 30% narrower or wider.
        let (lo, hi) = range(&widths);
        assert!(lo < 1.8 && hi > 2.2 && lo > 1.3 && hi < 2.7, "{lo}..{hi}");
    }

    /// The default distortions draw four numbers per image (rotation, scale,
    /// two shifts) and nothing for the ones left at 0, so runs saved before a
    /// distortion existed resume on the same random stream.
    #[test]
    fn distortions_left_at_zero_draw_no_random_numbers() {
        let image = [128u8; IMAGE_PIXELS];
        let draws_of = |augmentation: Augmentation, label: u8| {
            let mut out = [0f32; IMAGE_PIXELS];
            let mut used = Rng::derive(9, &[]);
            augmentation.apply(&image, label, &mut used, &mut out);
            let next = used.next_u64();
            let mut fresh = Rng::derive(9, &[]);
            (0..16).find(|_| fresh.next_u64() == next)
        };
        for label in 0..10 {
            assert_eq!(draws_of(Augmentation::new(), label), Some(4), "{label}");
        }
        let slanted = Augmentation::new().with_max_shear(0.3).with_max_aspect(0.1);
        assert_eq!(draws_of(slanted, 1), Some(6));
        // One more to decide whether to write the digit otherwise (label 0:
        // nothing drawn for it).
        let written = Augmentation::new().with_other_writing(0.3);
        assert_eq!(draws_of(written, 0), Some(5));
        let footed = written.with_feet_and_tails(0.3);
        assert_eq!(draws_of(footed, 0), Some(6));
    }
}
