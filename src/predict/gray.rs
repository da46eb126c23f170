//! Grey pictures as the preprocessing works on them (ink as `f32` in [0, 1]),
//! and the two operations both it and the stroke-width step need: resizing and
//! cropping to the ink.

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Luma};

/// A grey picture, one `f32` per pixel.
pub(super) type Gray = ImageBuffer<Luma<f32>, Vec<f32>>;

/// Resizes with an antialiasing filter when shrinking, a sharp one when enlarging.
pub(super) fn resize(image: &Gray, w: u32, h: u32) -> Gray {
    let filter = if w < image.width() || h < image.height() {
        FilterType::Triangle
    } else {
        FilterType::CatmullRom
    };
    imageops::resize(image, w, h, filter)
}

/// The box holding the ink, ignoring the outer 0.5% of its mass on each side
/// so that a stray speck does not widen it.
pub(super) fn crop_to_ink(ink: &Gray) -> Gray {
    let (w, h) = (ink.width() as usize, ink.height() as usize);
    let raw = ink.as_raw();
    let mut columns = vec![0f64; w];
    let mut rows = vec![0f64; h];
    for y in 0..h {
        for x in 0..w {
            columns[x] += raw[y * w + x] as f64;
            rows[y] += raw[y * w + x] as f64;
        }
    }
    let (x0, x1) = mass_span(&columns);
    let (y0, y1) = mass_span(&rows);
    imageops::crop_imm(
        ink,
        x0 as u32,
        y0 as u32,
        (x1 - x0 + 1) as u32,
        (y1 - y0 + 1) as u32,
    )
    .to_image()
}

/// First and last index holding the central 99% of the mass.
fn mass_span(mass: &[f64]) -> (usize, usize) {
    let total: f64 = mass.iter().sum();
    let cut = 0.005 * total;
    let mut acc = 0.0;
    let mut first = 0;
    for (i, &m) in mass.iter().enumerate() {
        acc += m;
        if acc > cut {
            first = i;
            break;
        }
    }
    let mut acc = 0.0;
    let mut last = mass.len() - 1;
    for (i, &m) in mass.iter().enumerate().rev() {
        acc += m;
        if acc > cut {
            last = i;
            break;
        }
    }
    (first, last.max(first))
}

/// The median of values in [0, 1], to 1/255.
pub(super) fn median(values: &[f32]) -> f32 {
    percentile(values, 0.5)
}

/// The `q` quantile of values in [0, 1], to 1/255 (a histogram: no sorting).
pub(super) fn percentile(values: &[f32], q: f32) -> f32 {
    let mut histogram = [0u32; 256];
    for &v in values {
        histogram[(v.clamp(0.0, 1.0) * 255.0) as usize] += 1;
    }
    let target = (q * values.len() as f32) as u32;
    let mut seen = 0;
    for (bin, &count) in histogram.iter().enumerate() {
        seen += count;
        if seen > target {
            return bin as f32 / 255.0;
        }
    }
    1.0
}

/// A `w` × `h` grey picture: `paper` everywhere, `ink` where `stroke` says.
#[cfg(test)]
pub(super) fn picture(
    w: u32,
    h: u32,
    paper: f32,
    ink: f32,
    stroke: impl Fn(u32, u32) -> bool,
) -> Gray {
    Gray::from_fn(w, h, |x, y| {
        image::Luma([if stroke(x, y) { ink } else { paper }])
    })
}
