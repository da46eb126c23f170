//! Stroke width: measured on a digit, and brought towards MNIST's.
//!
//! MNIST's writers used pens that, once the digit is scaled to its 20-px box,
//! leave strokes about two and a half pixels wide. A ballpoint pen on a phone
//! photo leaves half a pixel, a marker or a wide canvas brush five or more;
//! LeNet5 has seen neither. Thickening thin strokes (a grey-level dilation by
//! a round brush) and thinning thick ones (the matching erosion) before the
//! digit is shrunk makes such pictures look like what the model learnt from.

use super::gray::{Gray, crop_to_ink, resize};
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::raster;

/// Side the digit is fitted into while its strokes are measured and changed:
/// four times MNIST's 20-px box, so that a half-pixel pen line is still two
/// pixels wide.
const STROKE_BOX: u32 = 80;

/// The median stroke width of MNIST's 60,000 training digits, in pixels of the
/// 28×28 field, as [`stroke_width`] measures it (tests/it/predict.rs checks this
/// against the real data).
pub const MNIST_STROKE_WIDTH: f32 = 2.5;

/// Strokes between these fractions of the target width are left as drawn:
/// MNIST's own digits span about this range (its 10th to 90th percentile).
const LEFT_AS_DRAWN: (f32, f32) = (0.72, 1.4);

/// The width of a 28×28 digit's strokes (values in `[0, 1]`, light ink on
/// black, as [`PreparedDigit::pixels`](super::PreparedDigit::pixels)), in
/// pixels of that field: twice the inked area over its outline, the length of
/// a stroke being half its outline. `None` without ink.
///
/// ```
/// use lenet::predict::stroke_width;
///
/// // A bar 3 px wide and 18 px tall.
/// let mut digit = vec![0.0; 784];
/// for y in 5..23 {
///     for x in 12..15 {
///         digit[y * 28 + x] = 1.0;
///     }
/// }
/// let width = stroke_width(&digit).unwrap();
/// assert!((width - 3.0).abs() < 0.6, "{width}");
/// ```
pub fn stroke_width(pixels: &[f32]) -> Option<f32> {
    if pixels.len() != IMAGE_PIXELS {
        return None;
    }
    let field = Gray::from_raw(IMAGE_SIDE as u32, IMAGE_SIDE as u32, pixels.to_vec())?;
    let crop = crop_to_ink(&field);
    let side = crop.width().max(crop.height()) as f32;
    let (big, _) = enlarge(&crop);
    measure(&big).map(|width| width * side / STROKE_BOX as f32)
}

/// `crop` (a digit cropped to its ink) with strokes brought towards `target`
/// px once the digit is fitted into a `fit`-px box; cropped to the ink again.
/// Strokes already near MNIST's are returned as they are.
pub(super) fn restroke(crop: &Gray, fit: f32, target: f32) -> Gray {
    let (big, _) = enlarge(crop);
    let Some(width) = measure(&big) else {
        return crop.clone();
    };
    let per_field = STROKE_BOX as f32 / fit;
    let now = width / per_field;
    if now >= LEFT_AS_DRAWN.0 * target && now <= LEFT_AS_DRAWN.1 * target {
        return crop.clone();
    }
    // Growing every stroke by `grow` also grows the box by `grow`, which the
    // final fit shrinks again: solve (width + grow) · box / (box + grow) = goal.
    let goal = target * per_field;
    let grow = (goal - width) / (1.0 - goal / STROKE_BOX as f32).max(0.2);
    let radius = grow / 2.0;
    let margin = radius.max(0.0).ceil() as u32 + 2;
    let padded = pad(&big, margin);
    let changed = if radius > 0.0 {
        dilate(&padded, radius)
    } else {
        erode(&padded, -radius)
    };
    if changed.as_raw().iter().all(|&v| v < 0.5) {
        return crop.clone();
    }
    crop_to_ink(&changed)
}

/// `crop` fitted into `STROKE_BOX`, keeping its aspect ratio; and the factor.
fn enlarge(crop: &Gray) -> (Gray, f32) {
    let factor = STROKE_BOX as f32 / crop.width().max(crop.height()) as f32;
    let w = ((crop.width() as f32 * factor).round() as u32).clamp(1, STROKE_BOX);
    let h = ((crop.height() as f32 * factor).round() as u32).clamp(1, STROKE_BOX);
    (resize(crop, w, h), factor)
}

/// Stroke width in pixels of `image`: 8/π · area / outline, the outline
/// counted in pixel edges (a stroke of width w and length L has area wL and,
/// at a random slant, 2L · 4/π such edges).
fn measure(image: &Gray) -> Option<f32> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let on = |x: usize, y: usize| image.as_raw()[y * w + x] > 0.5;
    let (mut area, mut outline) = (0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            if !on(x, y) {
                continue;
            }
            area += 1;
            outline += usize::from(x == 0 || !on(x - 1, y));
            outline += usize::from(x + 1 == w || !on(x + 1, y));
            outline += usize::from(y == 0 || !on(x, y - 1));
            outline += usize::from(y + 1 == h || !on(x, y + 1));
        }
    }
    (outline > 0).then(|| 8.0 / std::f32::consts::PI * area as f32 / outline as f32)
}

fn pad(image: &Gray, margin: u32) -> Gray {
    let mut out = Gray::new(image.width() + 2 * margin, image.height() + 2 * margin);
    image::imageops::replace(&mut out, image, margin as i64, margin as i64);
    out
}

/// Grey-level dilation by a round brush of `radius` px, its edge antialiased
/// over one pixel.
fn dilate(image: &Gray, radius: f32) -> Gray {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let reach = radius.ceil() as i64 + 1;
    let brush: Vec<(i64, i64, f32)> = (-reach..=reach)
        .flat_map(|dy| (-reach..=reach).map(move |dx| (dx, dy)))
        .filter_map(|(dx, dy)| {
            let d = ((dx * dx + dy * dy) as f32).sqrt();
            let cover = raster::brush_cover(radius, d);
            (cover > 0.0).then_some((dx, dy, cover))
        })
        .collect();
    let raw = image.as_raw();
    Gray::from_fn(image.width(), image.height(), |x, y| {
        let mut best = 0f32;
        for &(dx, dy, cover) in &brush {
            let (sx, sy) = (x as i64 + dx, y as i64 + dy);
            if sx >= 0 && sy >= 0 && sx < w && sy < h {
                best = best.max(cover * raw[(sy * w + sx) as usize]);
            }
        }
        image::Luma([best])
    })
}

/// Grey-level erosion: the dilation of the background.
fn erode(image: &Gray, radius: f32) -> Gray {
    let mut inverse = image.clone();
    inverse.pixels_mut().for_each(|p| p.0[0] = 1.0 - p.0[0]);
    let mut out = dilate(&inverse, radius);
    out.pixels_mut().for_each(|p| p.0[0] = 1.0 - p.0[0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(width: usize) -> Vec<f32> {
        let mut digit = vec![0.0; IMAGE_PIXELS];
        let left = 14 - width / 2;
        for y in 4..24 {
            for x in left..left + width {
                digit[y * IMAGE_SIDE + x] = 1.0;
            }
        }
        digit
    }

    #[test]
    fn the_measure_follows_the_width() {
        let widths: Vec<f32> = [1, 2, 4, 6]
            .map(|w| stroke_width(&bar(w)).unwrap())
            .to_vec();
        for pair in widths.windows(2) {
            assert!(pair[1] > pair[0] * 1.3, "{widths:?}");
        }
        assert_eq!(stroke_width(&[0.0; IMAGE_PIXELS]), None);
        assert_eq!(stroke_width(&[1.0; 3]), None);
    }

    #[test]
    fn thin_and_thick_strokes_come_back_near_the_target() {
        // A ring drawn with a one-pixel pen and one drawn with a 14-px marker,
        // in a 100-px crop (fitted into 20 px: 0.2 and 2.8 px wide).
        let ring = |pen: f32| {
            Gray::from_fn(100, 100, |x, y| {
                let r = ((x as f32 - 49.5).powi(2) + (y as f32 - 49.5).powi(2)).sqrt();
                image::Luma([if (r - (49.0 - pen / 2.0)).abs() <= pen / 2.0 {
                    1.0
                } else {
                    0.0
                }])
            })
        };
        for pen in [2.0, 40.0] {
            let crop = restroke(&ring(pen), 20.0, MNIST_STROKE_WIDTH);
            let (small, _) = enlarge(&crop);
            let width = measure(&small).unwrap() * 20.0 / STROKE_BOX as f32;
            assert!(
                (width / MNIST_STROKE_WIDTH - 1.0).abs() < 0.3,
                "pen {pen}: {width} px once fitted"
            );
        }
    }
}
