//! Ways of writing a digit that MNIST's writers (American census staff and
//! students) rarely used and many other writers do: a 1 with a long flag at
//! its top or a foot along its base, a 7 crossed at its middle, a 9 whose
//! stem ends in a tail curving left. Drawn onto a training digit in its own
//! stroke width, so that a model learns to read them; unseen, a flagged 1 is
//! read as a 7 (docs/PREDICT.md: the handwriting fonts' commonest misreading),
//! a footed 1 as a 2 or a 3 and a tailed 9 as a 3 (printed digits, and the
//! handwriting of other writers in `scripts/handwriting_pictures.py`).

use crate::data::IMAGE_SIDE;
use crate::raster;
use crate::rng::Rng;

/// Ink, on MNIST's 0–255 scale.
const INK: u8 = 128;
/// A flag leaves the top of a 1 towards the left at this angle (degrees)
/// below the horizontal: steeper than a 7's bar, which a flag along the
/// horizontal would be ...
const FLAG_ANGLE: (f32, f32) = (25.0, 55.0);
/// ... and at least this much less steep than the stem (on a 1 slanted
/// forward, a flag along the stem would not show).
const FLAG_OFF_STEM: f32 = 25.0;
/// ... and is this share of the stem's length.
const FLAG_LENGTH: (f32, f32) = (0.25, 0.45);
/// A 7's cross-bar is this share of the way down its ink ...
const BAR_HEIGHT: (f32, f32) = (0.45, 0.6);
/// ... this share of its width long ...
const BAR_LENGTH: (f32, f32) = (0.35, 0.6);
/// ... and tilted by up to this slope.
const BAR_SLOPE: f32 = 0.1;
/// A 1's foot is this share of its stem long each way from the stem's end.
const FOOT_HALF: (f32, f32) = (0.15, 0.3);
/// A 9's tail leaves the end of its stem towards the left, this share of the
/// digit's width long ...
const TAIL_LENGTH: (f32, f32) = (0.35, 0.6);
/// ... and ends up to this share of that length above where it left.
const TAIL_RISE: f32 = 0.45;
/// Stroke widths drawn, in pixels of the 28×28 digit.
const WIDTH: (f32, f32) = (1.5, 4.0);

/// Draws onto `image` (28×28 bytes, light ink on black) the way other writers
/// write `label`: a flag on a 1, a cross-bar on a 7. Other digits are left as
/// they are, and so are a 1 shorter than 8 px or slanted forward by more than
/// 40° (no flag fits between the horizontal and its stem), and a blank image.
pub(crate) fn write_otherwise(image: &mut [u8], label: u8, rng: &mut Rng) {
    match label {
        1 => flag_a_one(image, rng),
        7 => cross_a_seven(image, rng),
        _ => {}
    }
}

/// Draws onto `image` a foot on a 1 (a bar along its base) or a tail curving
/// left from the end of a 9's stem. Other digits are left as they are, and so
/// are a 1 or a 9 shorter than 8 px, and a blank image.
pub(crate) fn add_foot_or_tail(image: &mut [u8], label: u8, rng: &mut Rng) {
    match label {
        1 => foot_a_one(image, rng),
        9 => tail_a_nine(image, rng),
        _ => {}
    }
}

/// The middle of the ink in row `y`, and the ink's length along it.
fn ink_in_row(image: &[u8], y: usize) -> Option<(f32, usize)> {
    raster::ink_along(&image[y * IMAGE_SIDE..][..IMAGE_SIDE], |v| v >= INK)
}

/// The first and last rows holding ink.
fn ink_rows(image: &[u8]) -> Option<(usize, usize)> {
    let first = image.iter().position(|&v| v >= INK)? / IMAGE_SIDE;
    let last = image.iter().rposition(|&v| v >= INK)? / IMAGE_SIDE;
    Some((first, last))
}

/// The ink's width: from its first column to its last.
fn ink_width(image: &[u8]) -> f32 {
    let columns: Vec<usize> = (0..IMAGE_SIDE)
        .filter(|&x| (0..IMAGE_SIDE).any(|y| image[y * IMAGE_SIDE + x] >= INK))
        .collect();
    columns
        .last()
        .map_or(0.0, |last| (last - columns[0] + 1) as f32)
}

/// A 1's stem, from the middle of its top row of ink to that of its bottom
/// row.
struct Stem {
    top: (f32, f32),
    bottom: (f32, f32),
    length: f32,
    /// Its stroke width: the ink's area over its length.
    width: f32,
}

impl Stem {
    /// The stem of the 1 in `image`; none shorter than 8 px.
    fn of(image: &[u8]) -> Option<Self> {
        let (top, bottom) = ink_rows(image)?;
        let (top_x, _) = ink_in_row(image, top)?;
        let (bottom_x, _) = ink_in_row(image, bottom)?;
        let (top, bottom) = ((top_x, top as f32), (bottom_x, bottom as f32));
        let length = (bottom.0 - top.0).hypot(bottom.1 - top.1);
        if length < 8.0 {
            return None;
        }
        let ink = image.iter().filter(|&&v| v >= INK).count() as f32;
        let width = (ink / length).clamp(WIDTH.0, WIDTH.1);
        Some(Self {
            top,
            bottom,
            length,
            width,
        })
    }
}

fn flag_a_one(image: &mut [u8], rng: &mut Rng) {
    let Some(stem) = Stem::of(image) else {
        return;
    };
    let (dx, dy) = (stem.bottom.0 - stem.top.0, stem.bottom.1 - stem.top.1);
    // The stem's own angle below the horizontal, leftwards (90: upright).
    let angle = dy.atan2(-dx).to_degrees();
    let steepest = FLAG_ANGLE.1.min(angle - FLAG_OFF_STEM);
    if steepest < FLAG_ANGLE.0 {
        return;
    }
    let (sin, cos) = rng.uniform(FLAG_ANGLE.0, steepest).to_radians().sin_cos();
    let reach = rng.uniform(FLAG_LENGTH.0, FLAG_LENGTH.1) * stem.length;
    let end = (stem.top.0 - reach * cos, stem.top.1 + reach * sin);
    draw_segment(image, stem.top, end, stem.width);
}

fn foot_a_one(image: &mut [u8], rng: &mut Rng) {
    let Some(stem) = Stem::of(image) else {
        return;
    };
    let half = rng.uniform(FOOT_HALF.0, FOOT_HALF.1) * stem.length;
    let slope = rng.uniform(-BAR_SLOPE, BAR_SLOPE);
    // Along the base: its lower edge on the stem's last row of ink.
    let (x, y) = (stem.bottom.0, stem.bottom.1 - stem.width / 2.0 + 0.5);
    draw_segment(
        image,
        (x - half, y - slope * half),
        (x + half, y + slope * half),
        stem.width,
    );
}

fn cross_a_seven(image: &mut [u8], rng: &mut Rng) {
    let Some((top, bottom)) = ink_rows(image) else {
        return;
    };
    let y = top + (rng.uniform(BAR_HEIGHT.0, BAR_HEIGHT.1) * (bottom - top) as f32) as usize;
    let Some((middle, run)) = ink_in_row(image, y) else {
        return;
    };
    let half = rng.uniform(BAR_LENGTH.0, BAR_LENGTH.1) * ink_width(image).max(10.0) / 2.0;
    let slope = rng.uniform(-BAR_SLOPE, BAR_SLOPE);
    let y = y as f32;
    let width = (run as f32).clamp(WIDTH.0, WIDTH.1);
    draw_segment(
        image,
        (middle - half, y - slope * half),
        (middle + half, y + slope * half),
        width,
    );
}

fn tail_a_nine(image: &mut [u8], rng: &mut Rng) {
    let Some((top, bottom)) = ink_rows(image) else {
        return;
    };
    let Some((x, _)) = ink_in_row(image, bottom) else {
        return;
    };
    if bottom - top < 8 {
        return;
    }
    // The stem's width a little above its end, which may be rounded.
    let run = ink_in_row(image, bottom - 2).map_or(2, |(_, run)| run);
    let width = (run as f32).clamp(WIDTH.0, WIDTH.1);
    let length = rng.uniform(TAIL_LENGTH.0, TAIL_LENGTH.1) * ink_width(image).max(10.0);
    let y = bottom as f32;
    // Down a little as it turns, then left and up.
    let turn = (x - 0.5 * length, y + 0.1 * length);
    let end = (x - length, y - rng.uniform(0.0, TAIL_RISE) * length);
    draw_segment(image, (x, y), turn, width);
    draw_segment(image, turn, end, width);
}

/// Ink along the segment from `a` to `b`, `width` pixels wide with a soft
/// edge, over what `image` holds.
fn draw_segment(image: &mut [u8], a: (f32, f32), b: (f32, f32), width: f32) {
    let (ux, uy) = (b.0 - a.0, b.1 - a.1);
    let length2 = (ux * ux + uy * uy).max(1e-6);
    for y in 0..IMAGE_SIDE {
        for x in 0..IMAGE_SIDE {
            let (px, py) = (x as f32 - a.0, y as f32 - a.1);
            let t = ((px * ux + py * uy) / length2).clamp(0.0, 1.0);
            let distance = (px - t * ux).hypot(py - t * uy);
            let cover = (width / 2.0 + 0.5 - distance).clamp(0.0, 1.0);
            let pixel = &mut image[y * IMAGE_SIDE + x];
            *pixel = (*pixel).max((cover * 255.0).round() as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vertical bar 3 px wide from row 4 to 23 at column 14 (a 1, or a 7's
    /// stem).
    fn bar() -> Vec<u8> {
        let mut image = vec![0u8; IMAGE_SIDE * IMAGE_SIDE];
        for y in 4..24 {
            for x in 13..16 {
                image[y * IMAGE_SIDE + x] = 255;
            }
        }
        image
    }

    fn ink_at(image: &[u8], x: usize, y: usize) -> bool {
        image[y * IMAGE_SIDE + x] >= INK
    }

    #[test]
    fn a_one_gets_a_flag_down_to_its_left_and_other_digits_nothing() {
        let mut rng = Rng::derive(3, &[]);
        for _ in 0..20 {
            let mut one = bar();
            write_otherwise(&mut one, 1, &mut rng);
            let added = added(&bar(), &one);
            assert!(added.len() >= 6, "a flag of {} pixels", added.len());
            // At the top of the stem (its round end a little above and
            // right), down to its left.
            assert!(
                added.iter().all(|&(x, y)| x <= 16 && (2..15).contains(&y)),
                "{added:?}"
            );
            assert!(
                added.iter().any(|&(x, _)| x <= 11),
                "reaches left: {added:?}"
            );
        }
        for label in [0, 2, 4, 8, 9] {
            let mut other = bar();
            write_otherwise(&mut other, label, &mut rng);
            assert_eq!(other, bar(), "{label}");
        }
    }

    /// The pixels with ink in `after` but not in `before`, as (x, y).
    fn added(before: &[u8], after: &[u8]) -> Vec<(usize, usize)> {
        (0..IMAGE_SIDE * IMAGE_SIDE)
            .filter(|&i| after[i] >= INK && before[i] < INK)
            .map(|i| (i % IMAGE_SIDE, i / IMAGE_SIDE))
            .collect()
    }

    #[test]
    fn a_one_gets_a_foot_along_its_base_and_a_nine_a_tail_to_its_left() {
        let mut rng = Rng::derive(5, &[]);
        // A 9: a loop, rows 4-12 and columns 7-15, whose right side is the
        // stem going on down to row 23.
        let mut nine = bar();
        for y in 4..13 {
            for x in 7..16 {
                if x < 10 || !(7..10).contains(&y) {
                    nine[y * IMAGE_SIDE + x] = 255;
                }
            }
        }
        for _ in 0..20 {
            let mut one = bar();
            add_foot_or_tail(&mut one, 1, &mut rng);
            let foot = added(&bar(), &one);
            assert!(foot.iter().all(|&(_, y)| (19..26).contains(&y)), "{foot:?}");
            // Both ways from the stem (columns 13-15).
            assert!(foot.iter().any(|&(x, _)| x <= 11), "{foot:?}");
            assert!(foot.iter().any(|&(x, _)| x >= 17), "{foot:?}");

            let mut tailed = nine.clone();
            add_foot_or_tail(&mut tailed, 9, &mut rng);
            let tail = added(&nine, &tailed);
            // Below the loop, from the stem's end to its left.
            assert!(
                tail.iter().all(|&(x, y)| (16..27).contains(&y) && x <= 16),
                "{tail:?}"
            );
            assert!(tail.iter().any(|&(x, _)| x <= 10), "{tail:?}");
        }
        for label in [0, 2, 4, 7, 8] {
            let mut other = nine.clone();
            add_foot_or_tail(&mut other, label, &mut rng);
            assert_eq!(other, nine, "{label}");
        }
        let mut blank = vec![0u8; IMAGE_SIDE * IMAGE_SIDE];
        add_foot_or_tail(&mut blank, 9, &mut rng);
        add_foot_or_tail(&mut blank, 1, &mut rng);
        assert!(blank.iter().all(|&v| v == 0));
    }

    #[test]
    fn a_seven_is_crossed_at_its_middle() {
        let mut rng = Rng::derive(4, &[]);
        for _ in 0..20 {
            crossed_once(&mut rng);
        }
    }

    fn crossed_once(rng: &mut Rng) {
        // A 7: a bar along the top and the stem.
        let mut seven = bar();
        for x in 6..22 {
            for y in 4..7 {
                seven[y * IMAGE_SIDE + x] = 255;
            }
        }
        let before = seven.clone();
        write_otherwise(&mut seven, 7, rng);
        let rows: Vec<usize> = (0..IMAGE_SIDE * IMAGE_SIDE)
            .filter(|&i| seven[i] >= INK && before[i] < INK)
            .map(|i| i / IMAGE_SIDE)
            .collect();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|y| (9..19).contains(y)), "{rows:?}");
        // Across the stem (columns 13-15), two pixels each side at least.
        let crossed = |x| rows.iter().any(|&y| ink_at(&seven, x, y));
        assert!(crossed(11) && crossed(17), "{rows:?}");
    }
}
