//! Grey pictures as the preprocessing works on them (ink as `f32` in [0, 1]),
//! and the operations more than one of its steps need: resizing, cropping to
//! the ink, a window's mean and a grey-level opening.

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

/// Mean over a (2r+1)² window of `values` (`w` × `h`), clamped at the
/// borders, via an integral image.
pub(super) fn box_blur(values: &[f32], w: u32, h: u32, radius: u32) -> Vec<f32> {
    let (w, h) = (w as usize, h as usize);
    let mut integral = vec![0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0f64;
        for x in 0..w {
            row += values[y * w + x] as f64;
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let r = radius as usize;
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0]
                + integral[y0 * (w + 1) + x0];
            out[y * w + x] = (sum / ((y1 - y0) * (x1 - x0)) as f64) as f32;
        }
    }
    out
}

/// The grey-level opening of `values` (`w` × `h`) by a (2r+1)² square: at
/// each pixel the largest of the smallest values of the windows that hold it
/// (the parts inside the picture). Whatever is narrower than the window — a
/// stroke, however bold, in a window as wide as the background's blur — is
/// taken down to what lies around it; a step wider than it, such as a
/// shadow's edge across the paper, stays where it is, as sharp as it was.
pub(super) fn opening(values: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let eroded = square_extremes(values, w, h, r, f32::min, f32::INFINITY);
    square_extremes(&eroded, w, h, r, f32::max, f32::NEG_INFINITY)
}

/// The `extreme` of `values` over each (2r+1)² window (the part inside the
/// picture), along the rows and then down the columns, in three comparisons
/// a value whatever `r` (van Herk; Gil and Werman): with `r` of `beyond` (what
/// no extreme prefers) at each end, a line is cut into blocks of 2r + 1; a
/// window spans the end of one block and the start of the next, so its
/// extreme is that of the one's running extreme from its end and the other's
/// from its start. Down the columns, whole rows are taken at once.
fn square_extremes(
    values: &[f32],
    w: usize,
    h: usize,
    r: usize,
    extreme: impl Fn(f32, f32) -> f32 + Copy,
    beyond: f32,
) -> Vec<f32> {
    let block = 2 * r + 1;
    let mut rows = vec![0f32; w * h];
    let padded = (w + 2 * r).div_ceil(block) * block;
    let (mut line, mut from_start, mut from_end) =
        (vec![beyond; padded], vec![0f32; padded], vec![0f32; padded]);
    for (values, out) in values.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        line[r..r + w].copy_from_slice(values);
        running_extremes(&line, 1, block, extreme, &mut from_start, &mut from_end);
        for (i, o) in out.iter_mut().enumerate() {
            *o = extreme(from_end[i], from_start[i + 2 * r]);
        }
    }
    // The same down the columns: each "value" a whole row.
    let padded = (h + 2 * r).div_ceil(block) * block;
    let mut lines = vec![beyond; padded * w];
    lines[r * w..(r + h) * w].copy_from_slice(&rows);
    let (mut from_start, mut from_end) = (vec![0f32; padded * w], vec![0f32; padded * w]);
    running_extremes(&lines, w, block, extreme, &mut from_start, &mut from_end);
    for (y, out) in rows.chunks_exact_mut(w).enumerate() {
        let (end, start) = (&from_end[y * w..][..w], &from_start[(y + 2 * r) * w..][..w]);
        for ((o, &e), &s) in out.iter_mut().zip(end).zip(start) {
            *o = extreme(e, s);
        }
    }
    rows
}

/// Each block's running extremes of `line` (items `width` values wide, blocks
/// `block` items long), from the block's start and from its end.
fn running_extremes(
    line: &[f32],
    width: usize,
    block: usize,
    extreme: impl Fn(f32, f32) -> f32,
    from_start: &mut [f32],
    from_end: &mut [f32],
) {
    let items = line.len() / width;
    for i in 0..items {
        let now = i * width;
        for x in now..now + width {
            from_start[x] = if i % block == 0 {
                line[x]
            } else {
                extreme(from_start[x - width], line[x])
            };
        }
    }
    for i in (0..items).rev() {
        let now = i * width;
        for x in now..now + width {
            from_end[x] = if i % block == block - 1 {
                line[x]
            } else {
                extreme(from_end[x + width], line[x])
            };
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_keeps_a_step_and_takes_narrower_strokes_away() {
        // A row of 40: dark beyond x = 25 (a shadow), a stroke 6 px wide at
        // x = 8 on the light side and one at x = 30 on the dark side.
        let (w, h) = (40, 12);
        let values: Vec<f32> = (0..w * h)
            .map(|i| {
                let x = i % w;
                let paper = if x >= 25 { 0.4 } else { 0.1 };
                if (8..14).contains(&x) || (30..36).contains(&x) {
                    0.9
                } else {
                    paper
                }
            })
            .collect();
        let opened = opening(&values, w, h, 4);
        for (x, &v) in opened[5 * w..6 * w].iter().enumerate() {
            let paper = if x >= 25 { 0.4 } else { 0.1 };
            assert_eq!(v, paper, "at {x}");
        }
        // A stroke wider than the window stays.
        assert_eq!(opening(&values, w, h, 2)[5 * w + 10], 0.9);
    }

    #[test]
    fn an_opening_is_the_windows_extremes_taken_one_by_one() {
        let (w, h) = (13, 7);
        let values: Vec<f32> = (0..w * h)
            .map(|i| ((i * 37 + 11) % 23) as f32 / 23.0)
            .collect();
        // Over the window of radius `r` around (x, y), the part inside.
        let window = |x: usize, y: usize, r: usize| {
            let (ys, xs) = (
                y.saturating_sub(r)..(y + r + 1).min(h),
                x.saturating_sub(r)..(x + r + 1).min(w),
            );
            ys.flat_map(move |y| xs.clone().map(move |x| y * w + x))
        };
        for r in 0..9 {
            let eroded: Vec<f32> = (0..w * h)
                .map(|i| {
                    window(i % w, i / w, r)
                        .map(|j| values[j])
                        .fold(f32::INFINITY, f32::min)
                })
                .collect();
            let opened: Vec<f32> = (0..w * h)
                .map(|i| {
                    window(i % w, i / w, r)
                        .map(|j| eroded[j])
                        .fold(f32::NEG_INFINITY, f32::max)
                })
                .collect();
            assert_eq!(opening(&values, w, h, r), opened, "r = {r}");
        }
    }
}
