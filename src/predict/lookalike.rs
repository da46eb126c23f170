//! MNIST test digits redrawn the way users' pictures come: pen, pencil and
//! marker photographed on paper (plain, ruled, squared or dotted, the desk
//! sometimes in the picture), or drawn on the explore page's canvas.
//!
//! A model's MNIST accuracy says little about a phone photo: its strokes are
//! thinner or thicker than MNIST's, fainter, blurred, off-centre, under uneven
//! light. Real photographed handwriting with true labels is scarce, so these
//! sets are made from the 10,000 test digits a model never trains on: each
//! keeps its label and the writer's shape, and each style changes what users'
//! pictures change. They measure the preprocessing and the training recipe
//! (`examples/lookalikes.rs`, docs/PREDICT.md).
//!
//! The pen, pencil, marker and drawing styles first thin the digit to its
//! centre line (Zhang & Suen 1984) and draw that line again with a round brush
//! of the style's width, so stroke width is a setting, not MNIST's.

use image::{GrayImage, ImageEncoder, Luma};

use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::raster::{self, Edge};
use crate::rng::Rng;
use crate::{Error, Result};

/// How a digit is redrawn by [`lookalike`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookalikeStyle {
    /// The MNIST strokes themselves, enlarged, dark on light paper,
    /// photographed: off-centre, tilted, lit unevenly, blurred, JPEG.
    Photo,
    /// A ballpoint pen photographed the same way: strokes 2–6% of the digit's
    /// height (MNIST's are about 13%).
    PenPhoto,
    /// A pencil: thin and faint grey strokes (a third to a half of the paper's
    /// brightness), on grainy paper.
    PencilPhoto,
    /// A felt marker: strokes 14–24% of the digit's height.
    MarkerPhoto,
    /// The explore page's canvas: black round-brush strokes 6–40 px wide on a
    /// white 280×280 pad, the digit 110–250 px tall anywhere on it; PNG.
    Drawing,
    /// A pen on ruled notebook paper: the pen's strokes across dark ruled
    /// lines 1.5–3 px thick, 7–11% of the picture apart, tilted up to 3°;
    /// half the time written on a line (its lowest ink on the line).
    NotebookPhoto,
    /// The `photo` style with the desk in the picture: beyond the paper's
    /// edge, along one or two sides, a dark desk (8–35% of white).
    DeskPhoto,
    /// A pen on squared paper (a maths exercise book's): lines both ways,
    /// lighter and thinner than a notebook's (1–2.5 px), 5–9% of the
    /// picture apart, tilted up to 3°; the strokes cross them.
    GridPhoto,
    /// A pen on dotted paper (a bullet journal's): a dot 2–4 px across where
    /// squared paper's lines would cross, 5–9% of the picture apart.
    DottedPhoto,
    /// A pen in a box printed around the digit (a form's or a worksheet's
    /// answer box): its sides 1–3 px thick, 30–80% dark, 5–35% of the
    /// digit's height clear of its ink on each side, tilted up to 3°.
    BoxedPhoto,
    /// A pen photographed with a shadow across the paper (the phone's, a
    /// hand's): a straight edge through the middle half of the picture at any
    /// angle, the paper and ink beyond it 20–50% darker, the edge soft over
    /// 2–16 px.
    ShadowPhoto,
    /// A pen photographed dim (in the evening, or exposed for a brighter
    /// room): the paper 30–50% white, where the other photos' is 70–95%.
    DimPhoto,
}

impl LookalikeStyle {
    /// Every style.
    pub const ALL: [Self; 12] = [
        Self::Photo,
        Self::PenPhoto,
        Self::PencilPhoto,
        Self::MarkerPhoto,
        Self::Drawing,
        Self::NotebookPhoto,
        Self::DeskPhoto,
        Self::GridPhoto,
        Self::DottedPhoto,
        Self::BoxedPhoto,
        Self::ShadowPhoto,
        Self::DimPhoto,
    ];

    /// A short name, for tables and file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::PenPhoto => "pen-photo",
            Self::PencilPhoto => "pencil-photo",
            Self::MarkerPhoto => "marker-photo",
            Self::Drawing => "drawing",
            Self::NotebookPhoto => "notebook-photo",
            Self::DeskPhoto => "desk-photo",
            Self::GridPhoto => "grid-photo",
            Self::DottedPhoto => "dotted-photo",
            Self::BoxedPhoto => "boxed-photo",
            Self::ShadowPhoto => "shadow-photo",
            Self::DimPhoto => "dim-photo",
        }
    }

    /// The file extension of [`lookalike`]'s bytes in this style.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Drawing => "png",
            _ => "jpg",
        }
    }

    /// Stroke width as a fraction of the digit's height, for the styles that
    /// redraw the centre line.
    fn stroke_fraction(self) -> Option<(f32, f32)> {
        match self {
            Self::Photo | Self::Drawing | Self::DeskPhoto => None,
            Self::PenPhoto
            | Self::NotebookPhoto
            | Self::GridPhoto
            | Self::DottedPhoto
            | Self::BoxedPhoto
            | Self::ShadowPhoto
            | Self::DimPhoto => Some((0.02, 0.06)),
            Self::PencilPhoto => Some((0.02, 0.05)),
            Self::MarkerPhoto => Some((0.14, 0.24)),
        }
    }
}

/// Side of the enlarged digit the centre line is found on.
const ENLARGED: usize = 8 * IMAGE_SIDE;

/// Redraws an MNIST digit (28×28 bytes, white ink on black) in `style`, as the
/// bytes of a picture file (JPEG for photos, PNG for drawings). `seed` picks
/// the style's random settings: the same seed gives the same bytes.
///
/// ```
/// use lenet::predict::{LookalikeStyle, decode, lookalike, prepare_image, Preprocess};
///
/// let mut digit = vec![0u8; 784];
/// for y in 5..23 {
///     digit[y * 28 + 13] = 255; // a "1"
///     digit[y * 28 + 14] = 255;
/// }
/// let photo = lookalike(&digit, LookalikeStyle::PenPhoto, 7)?;
/// let prepared = prepare_image(&decode(&photo).unwrap(), &Preprocess::default()).unwrap();
/// assert!(prepared.inverted, "dark ink on light paper");
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn lookalike(digit: &[u8], style: LookalikeStyle, seed: u64) -> Result<Vec<u8>> {
    lookalike_in_larger_frame(digit, style, seed, 1)
}

/// Width and height of [`lookalike`]'s photos, in pixels.
pub const PHOTO_SIZE: (u32, u32) = (640, 480);

/// The largest `frame_scale` of [`lookalike_in_larger_frame`]: 5120×3840.
pub const MAX_FRAME_SCALE: u32 = 8;

/// [`lookalike`], with a photo `frame_scale` times wider and taller around a
/// digit of the same size: a digit written small on a phone photo (4: a
/// 2560×1920 photo, the digit 6–17% of its height; a 12-megapixel phone's
/// photo is 4032×3024). 1 gives [`lookalike`]'s bytes; drawings ignore it.
///
/// ```
/// use lenet::predict::{LookalikeStyle, decode, lookalike_in_larger_frame};
///
/// let mut digit = vec![0u8; 784];
/// for y in 5..23 {
///     digit[y * 28 + 13] = 255; // a "1"
/// }
/// let photo = lookalike_in_larger_frame(&digit, LookalikeStyle::PenPhoto, 7, 2)?;
/// assert_eq!(decode(&photo).unwrap().width(), 1280);
/// assert!(lookalike_in_larger_frame(&digit, LookalikeStyle::PenPhoto, 7, 9).is_err());
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn lookalike_in_larger_frame(
    digit: &[u8],
    style: LookalikeStyle,
    seed: u64,
    frame_scale: u32,
) -> Result<Vec<u8>> {
    if !(1..=MAX_FRAME_SCALE).contains(&frame_scale) {
        return Err(Error::InvalidArgument(format!(
            "a frame 1 to {MAX_FRAME_SCALE} times the photo's, not {frame_scale}"
        )));
    }
    if digit.len() != IMAGE_PIXELS {
        return Err(Error::InvalidArgument(format!(
            "a digit has {IMAGE_PIXELS} pixels (28×28), not {}",
            digit.len()
        )));
    }
    let mut rng = Rng::derive(seed, &[style as u64]);
    let enlarged = enlarge(digit);
    let (top, bottom) = ink_rows(&enlarged);
    let digit_height = (bottom - top + 1) as f32;
    let picture = match style {
        LookalikeStyle::Drawing => {
            let height = rng.uniform(110.0, 250.0);
            let brush = rng.uniform(6.0, 40.0);
            let ink = place(
                &enlarged,
                style,
                &mut rng,
                280,
                280,
                height / digit_height,
                brush,
            );
            GrayImage::from_fn(280, 280, |x, y| grey(1.0 - ink[(y * 280 + x) as usize]))
        }
        _ => photograph(&enlarged, style, &mut rng, digit_height, frame_scale),
    };
    encode(&picture, style, &mut rng)
}

/// A [`PHOTO_SIZE`] photo of the digit on paper, its frame `frame_scale` times that.
fn photograph(
    enlarged: &[f32],
    style: LookalikeStyle,
    rng: &mut Rng,
    digit_height: f32,
    frame_scale: u32,
) -> GrayImage {
    let (w, h) = (PHOTO_SIZE.0 * frame_scale, PHOTO_SIZE.1 * frame_scale);
    let height = rng.uniform(120.0, 320.0);
    let brush = style
        .stroke_fraction()
        .map_or(0.0, |(low, high)| height * rng.uniform(low, high));
    let ink = place(enlarged, style, rng, w, h, height / digit_height, brush);
    let darkness = match style {
        LookalikeStyle::PencilPhoto => rng.uniform(0.3, 0.5),
        _ => rng.uniform(0.6, 0.9),
    };
    let grain = match style {
        LookalikeStyle::PencilPhoto => 0.06,
        _ => 0.02,
    };
    let paper = match style {
        LookalikeStyle::DimPhoto => rng.uniform(0.3, 0.5),
        _ => rng.uniform(0.7, 0.95),
    };
    let (gx, gy) = (rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2));
    let mut values: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 / w as f32, (i / w) as f32 / h as f32);
            let light = paper + gx * (x - 0.5) + gy * (y - 0.5) + grain * (rng.next_f32() - 0.5);
            light * (1.0 - darkness * ink[i as usize])
        })
        .collect();
    match style {
        LookalikeStyle::NotebookPhoto => rule_lines(&mut values, &ink, w, h, &NOTEBOOK, rng),
        LookalikeStyle::GridPhoto => rule_lines(&mut values, &ink, w, h, &SQUARED, rng),
        LookalikeStyle::DottedPhoto => rule_lines(&mut values, &ink, w, h, &DOTTED, rng),
        LookalikeStyle::DeskPhoto => show_desk(&mut values, &ink, w, h, rng),
        LookalikeStyle::BoxedPhoto => draw_a_box(&mut values, &ink, w, h, rng),
        LookalikeStyle::ShadowPhoto => cast_a_shadow(&mut values, w, h, rng),
        _ => {}
    }
    let sigma = rng.uniform(0.6, 2.0);
    let radius = (3.0 * sigma).ceil() as usize;
    raster::gaussian_blur(&mut values, w as usize, sigma, radius, Edge::Clamped);
    GrayImage::from_fn(w, h, |x, y| grey(values[(y * w + x) as usize]))
}

/// How a page is ruled: ranges of the lines' spacing (a share of the
/// picture's height), thickness (px) and darkness (a share of the paper's
/// light), and their pattern.
struct Ruling {
    spacing: (f32, f32),
    thickness: (f32, f32),
    darkness: (f32, f32),
    pattern: Pattern,
}

/// Lines across the page, lines both ways, or dots where those would cross.
enum Pattern {
    Lines,
    Squares,
    Dots,
}

/// A notebook's ruled lines: dark, across the page only.
const NOTEBOOK: Ruling = Ruling {
    spacing: (0.07, 0.11),
    thickness: (1.5, 3.0),
    darkness: (0.25, 0.5),
    pattern: Pattern::Lines,
};

/// Squared paper: closer, thinner, lighter lines, both ways.
const SQUARED: Ruling = Ruling {
    spacing: (0.05, 0.09),
    thickness: (1.0, 2.5),
    darkness: (0.15, 0.45),
    pattern: Pattern::Squares,
};

/// Dotted paper: squared paper's corners alone, a little larger.
const DOTTED: Ruling = Ruling {
    spacing: (0.05, 0.09),
    thickness: (2.0, 4.0),
    darkness: (0.2, 0.5),
    pattern: Pattern::Dots,
};

/// Ruled lines (or a grid, or dots) across the whole picture, over paper and
/// ink alike; half the time the digit is written on a line, as people write:
/// its lowest ink sits on it, and a bottom stroke (a 2's) runs along it.
fn rule_lines(values: &mut [f32], ink: &[f32], w: u32, h: u32, ruling: &Ruling, rng: &mut Rng) {
    let spacing = rng.uniform(ruling.spacing.0, ruling.spacing.1) * h as f32;
    let (sin, cos) = rng.uniform(-3.0, 3.0).to_radians().sin_cos();
    let thickness = rng.uniform(ruling.thickness.0, ruling.thickness.1);
    let darkness = rng.uniform(ruling.darkness.0, ruling.darkness.1);
    // How far across the lines (x, y) lies, and along them: the ruling is
    // where the one is a multiple of the spacing (on squared paper either,
    // on dotted paper both).
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let across = |x: f32, y: f32| (y - cy) * cos - (x - cx) * sin;
    let along = |x: f32, y: f32| (x - cx) * cos + (y - cy) * sin;
    let on_a_line = rng.next_f32() < 0.5;
    let offset = match lowest_ink(ink, w) {
        Some((x, y)) if on_a_line => rng.uniform(-1.0, 1.0) * thickness - across(x, y),
        _ => rng.uniform(0.0, spacing),
    };
    // (Drawn for a second way only: a notebook's photos stay the same bytes.)
    let side_offset = match ruling.pattern {
        Pattern::Lines => 0.0,
        Pattern::Squares | Pattern::Dots => rng.uniform(0.0, spacing),
    };
    // How much of a pixel `distance` across the lines a line covers.
    let cover = |distance: f32| {
        let from_line = (distance - spacing * (distance / spacing).round()).abs();
        raster::brush_cover(thickness / 2.0, from_line)
    };
    for (i, v) in values.iter_mut().enumerate() {
        let (x, y) = ((i as u32 % w) as f32, (i as u32 / w) as f32);
        let first = cover(across(x, y) + offset);
        let covered = match ruling.pattern {
            Pattern::Lines => first,
            Pattern::Squares => first.max(cover(along(x, y) + side_offset)),
            Pattern::Dots => first.min(cover(along(x, y) + side_offset)),
        };
        *v *= 1.0 - darkness * covered;
    }
}

/// The middle of the lowest row of the ink in a `w`-wide frame (where a
/// digit written on a line touches it).
fn lowest_ink(ink: &[f32], w: u32) -> Option<(f32, f32)> {
    let w = w as usize;
    let last = ink.iter().rposition(|&v| v > 0.5)?;
    let (middle, _) = raster::ink_along(&ink[last / w * w..][..w], |v| v > 0.5)?;
    Some((middle, (last / w) as f32))
}

/// A box printed around the digit's ink, clear of it on every side by
/// 5–35% of its height (less where the picture's edge is nearer), tilted a
/// little about its centre.
fn draw_a_box(values: &mut [f32], ink: &[f32], w: u32, h: u32, rng: &mut Rng) {
    let Some((x0, y0, x1, y1)) = ink_bounds(ink, w as usize) else {
        return;
    };
    let thickness = rng.uniform(1.0, 3.0);
    let darkness = rng.uniform(0.3, 0.8);
    let (sin, cos) = rng.uniform(-3.0, 3.0).to_radians().sin_cos();
    // Each side's room between the ink and the picture's edge, and how far
    // from the ink the box's side is drawn.
    let height = (y1 - y0 + 1) as f32;
    let room = [x0, y0, w as usize - 1 - x1, h as usize - 1 - y1];
    let [left, top, right, bottom] =
        room.map(|room| (rng.uniform(0.05, 0.35) * height).min(room as f32 - thickness - 3.0));
    let (left, top) = (x0 as f32 - left, y0 as f32 - top);
    let (right, bottom) = (x1 as f32 + right, y1 as f32 + bottom);
    let (cx, cy) = ((left + right) / 2.0, (top + bottom) / 2.0);
    let (half_w, half_h) = ((right - left) / 2.0, (bottom - top) / 2.0);
    for (i, v) in values.iter_mut().enumerate() {
        let (x, y) = ((i as u32 % w) as f32 - cx, (i as u32 / w) as f32 - cy);
        // How far (x, y), turned with the box, lies from its outline.
        let (u, t) = ((x * cos + y * sin).abs(), (y * cos - x * sin).abs());
        let (out_u, out_t) = (u - half_w, t - half_h);
        let from_outline = if out_u <= 0.0 && out_t <= 0.0 {
            (-out_u).min(-out_t)
        } else {
            out_u.max(0.0).hypot(out_t.max(0.0))
        };
        let covered = raster::brush_cover(thickness / 2.0, from_outline);
        *v *= 1.0 - darkness * covered;
    }
}

/// A shadow over the part of the picture beyond a straight edge through its
/// middle half: paper and ink there take 50–80% of the light, the edge soft
/// over 2–16 px.
fn cast_a_shadow(values: &mut [f32], w: u32, h: u32, rng: &mut Rng) {
    let (cx, cy) = (
        rng.uniform(0.25, 0.75) * w as f32,
        rng.uniform(0.25, 0.75) * h as f32,
    );
    let (sin, cos) = rng.uniform(0.0, 360.0).to_radians().sin_cos();
    let darkness = rng.uniform(0.2, 0.5);
    let softness = rng.uniform(2.0, 16.0);
    for (i, v) in values.iter_mut().enumerate() {
        let (x, y) = ((i as u32 % w) as f32 - cx, (i as u32 / w) as f32 - cy);
        // How far into the shadow, in its edge's widths.
        let beyond = ((x * cos + y * sin) / softness + 0.5).clamp(0.0, 1.0);
        *v *= 1.0 - darkness * beyond;
    }
}

/// The box (left, top, right, bottom) around the ink of a `w`-wide frame.
fn ink_bounds(ink: &[f32], w: usize) -> Option<(usize, usize, usize, usize)> {
    let mut inked = (ink.iter().enumerate()).filter(|&(_, &v)| v > 0.05);
    let (first, _) = inked.next()?;
    let start = (first % w, first / w, first % w, first / w);
    Some(inked.fold(start, |(x0, y0, x1, y1), (i, _)| {
        let (x, y) = (i % w, i / w);
        (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
    }))
}

/// A dark desk beyond the paper's edge along one side, or two that meet; the
/// edge, tilted a little, stays clear of the digit's ink.
fn show_desk(values: &mut [f32], ink: &[f32], w: u32, h: u32, rng: &mut Rng) {
    let (w, h) = (w as usize, h as usize);
    let (x0, y0, x1, y1) = ink_bounds(ink, w).unwrap_or((w, h, 0, 0));
    // The gap between each side of the picture and the ink: left, top,
    // right, bottom.
    let gaps = [x0, y0, w.saturating_sub(x1 + 1), h.saturating_sub(y1 + 1)];
    let first = rng.below(4);
    let sides = if rng.next_f32() < 0.5 {
        vec![first]
    } else {
        vec![first, (first + 1) % 4]
    };
    let desk = rng.uniform(0.08, 0.35);
    for side in sides {
        let gap = gaps[side] as f32;
        if gap < 12.0 {
            continue;
        }
        let depth = rng.uniform(0.3, 0.8) * gap;
        let slope = rng.uniform(-0.05, 0.05);
        for (i, v) in values.iter_mut().enumerate() {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            // Distance from this side, and position along it.
            let (into, along, length) = match side {
                0 => (x, y, h as f32),
                1 => (y, x, w as f32),
                2 => (w as f32 - 1.0 - x, y, h as f32),
                _ => (h as f32 - 1.0 - y, x, w as f32),
            };
            let edge = (depth + slope * (along - length / 2.0)).min(0.9 * gap);
            if into < edge {
                *v = desk + 0.03 * (rng.next_f32() - 0.5);
            }
        }
    }
}

/// The digit's ink in a `w`×`h` frame: enlarged by `scale` (from the 224-px
/// enlargement), tilted up to 8°, off-centre; redrawn along its centre line
/// with a round brush `brush` px wide when the style says so.
#[allow(clippy::too_many_arguments)]
fn place(
    enlarged: &[f32],
    style: LookalikeStyle,
    rng: &mut Rng,
    w: u32,
    h: u32,
    scale: f32,
    brush: f32,
) -> Vec<f32> {
    let angle = rng.uniform(-8.0, 8.0).to_radians();
    let (sin, cos) = angle.sin_cos();
    let half = ENLARGED as f32 * scale / 2.0;
    let margin = |side: u32| (side as f32 / 2.0 - half).max(0.0);
    let cx = w as f32 / 2.0 + rng.uniform(-margin(w), margin(w)) * 0.8;
    let cy = h as f32 / 2.0 + rng.uniform(-margin(h), margin(h)) * 0.8;
    let centre = ENLARGED as f32 / 2.0;
    let mut ink = vec![0f32; (w * h) as usize];
    let redraw = style == LookalikeStyle::Drawing || style.stroke_fraction().is_some();
    if redraw {
        let to_frame = |x: f32, y: f32| {
            let (dx, dy) = ((x - centre) * scale, (y - centre) * scale);
            (cx + cos * dx - sin * dy, cy + sin * dx + cos * dy)
        };
        let radius = (brush / 2.0).max(0.5);
        for (x, y) in centre_line_points(enlarged) {
            let (fx, fy) = to_frame(x, y);
            stamp(&mut ink, w, h, fx, fy, radius);
        }
    } else {
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let sx = (cos * dx + sin * dy) / scale + centre;
                let sy = (-sin * dx + cos * dy) / scale + centre;
                ink[(y * w + x) as usize] = raster::bilinear(enlarged, ENLARGED, sx, sy);
            }
        }
    }
    ink
}

/// The digit enlarged 8× (bilinear, pixel centres aligned), values in [0, 1].
fn enlarge(digit: &[u8]) -> Vec<f32> {
    let factor = (ENLARGED / IMAGE_SIDE) as f32;
    let digit: Vec<f32> = digit.iter().map(|&v| v as f32 / 255.0).collect();
    let source = |i: usize| (i as f32 + 0.5) / factor - 0.5;
    (0..ENLARGED * ENLARGED)
        .map(|i| {
            raster::bilinear(
                &digit,
                IMAGE_SIDE,
                source(i % ENLARGED),
                source(i / ENLARGED),
            )
        })
        .collect()
}

/// First and last row holding ink (the whole height when there is none).
fn ink_rows(enlarged: &[f32]) -> (usize, usize) {
    let inked = |y: &usize| {
        enlarged[y * ENLARGED..(y + 1) * ENLARGED]
            .iter()
            .any(|&v| v > 0.5)
    };
    let top = (0..ENLARGED).find(inked).unwrap_or(0);
    let bottom = (0..ENLARGED).rev().find(inked).unwrap_or(ENLARGED - 1);
    (top, bottom.max(top))
}

/// Points along the digit's centre line: every pixel of its skeleton, and the
/// midpoint to each skeleton neighbour, so that a brush stamped at each leaves
/// no gaps once the line is enlarged.
fn centre_line_points(enlarged: &[f32]) -> Vec<(f32, f32)> {
    let n = ENLARGED;
    let skeleton = thin(enlarged.iter().map(|&v| v > 0.5).collect(), n, n);
    let on = |x: usize, y: usize| skeleton[y * n + x];
    let mut points = Vec::new();
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            if !on(x, y) {
                continue;
            }
            points.push((x as f32, y as f32));
            for (dx, dy) in [(1i64, 0i64), (-1, 1), (0, 1), (1, 1)] {
                let (nx, ny) = ((x as i64 + dx) as usize, (y as i64 + dy) as usize);
                if on(nx, ny) {
                    points.push((x as f32 + dx as f32 / 2.0, y as f32 + dy as f32 / 2.0));
                }
            }
        }
    }
    points
}

/// Zhang–Suen thinning of a binary `w`×`h` picture to one-pixel lines.
fn thin(mut on: Vec<bool>, w: usize, h: usize) -> Vec<bool> {
    // The border is background, so every neighbour below exists.
    for x in 0..w {
        on[x] = false;
        on[(h - 1) * w + x] = false;
    }
    for y in 0..h {
        on[y * w] = false;
        on[y * w + w - 1] = false;
    }
    let mut changed = true;
    let mut remove = Vec::new();
    while changed {
        changed = false;
        for pass in 0..2 {
            remove.clear();
            for y in 1..h - 1 {
                for x in 1..w - 1 {
                    if !on[y * w + x] {
                        continue;
                    }
                    // P2..P9 clockwise from north.
                    let p = [
                        on[(y - 1) * w + x],
                        on[(y - 1) * w + x + 1],
                        on[y * w + x + 1],
                        on[(y + 1) * w + x + 1],
                        on[(y + 1) * w + x],
                        on[(y + 1) * w + x - 1],
                        on[y * w + x - 1],
                        on[(y - 1) * w + x - 1],
                    ];
                    let neighbours = p.iter().filter(|&&b| b).count();
                    let transitions = (0..8).filter(|&i| !p[i] && p[(i + 1) % 8]).count();
                    let (n, e, s, west) = (p[0], p[2], p[4], p[6]);
                    let keep = if pass == 0 {
                        e && s && (n || west)
                    } else {
                        n && west && (e || s)
                    };
                    if (2..=6).contains(&neighbours) && transitions == 1 && !keep {
                        remove.push(y * w + x);
                    }
                }
            }
            for &i in &remove {
                on[i] = false;
            }
            changed |= !remove.is_empty();
        }
    }
    on
}

/// Ink of a round brush of `radius` px centred at (`cx`, `cy`), anti-aliased
/// over one pixel, kept where it is darker than what is there.
fn stamp(ink: &mut [f32], w: u32, h: u32, cx: f32, cy: f32, radius: f32) {
    let reach = radius + 1.0;
    let x0 = (cx - reach).floor().max(0.0) as u32;
    let y0 = (cy - reach).floor().max(0.0) as u32;
    let x1 = ((cx + reach).ceil().max(0.0) as u32).min(w.saturating_sub(1));
    let y1 = ((cy + reach).ceil().max(0.0) as u32).min(h.saturating_sub(1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let cover = raster::brush_cover(radius, d);
            let v = &mut ink[(y * w + x) as usize];
            *v = v.max(cover);
        }
    }
}

fn grey(v: f32) -> Luma<u8> {
    Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
}

fn encode(picture: &GrayImage, style: LookalikeStyle, rng: &mut Rng) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let (w, h) = picture.dimensions();
    let written = match style {
        LookalikeStyle::Drawing => image::codecs::png::PngEncoder::new(&mut bytes).write_image(
            picture.as_raw(),
            w,
            h,
            image::ExtendedColorType::L8,
        ),
        _ => {
            let quality = 60 + rng.below(26) as u8;
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).write_image(
                picture.as_raw(),
                w,
                h,
                image::ExtendedColorType::L8,
            )
        }
    };
    written.map_err(|source| Error::Image {
        path: format!("lookalike.{}", style.extension()).into(),
        source: Box::new(source),
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(x0: usize, x1: usize) -> Vec<u8> {
        let mut digit = vec![0u8; IMAGE_PIXELS];
        for y in 4..24 {
            for x in x0..x1 {
                digit[y * IMAGE_SIDE + x] = 255;
            }
        }
        digit
    }

    #[test]
    fn thinning_leaves_a_one_pixel_centre_line() {
        let enlarged = enlarge(&bar(11, 17));
        let points = centre_line_points(&enlarged);
        let skeleton: Vec<_> = points
            .iter()
            .filter(|(x, y)| x.fract() == 0.0 && y.fract() == 0.0)
            .collect();
        assert!(!skeleton.is_empty());
        // A 48-px-wide bar thins to a line near its middle column (x ≈ 111.5).
        for (x, _) in &skeleton {
            assert!((x - 111.5).abs() <= 2.0, "skeleton at x = {x}");
        }
        let rows: std::collections::HashSet<_> =
            skeleton.iter().map(|(_, y)| *y as usize).collect();
        assert!(
            rows.len() > 100,
            "the line runs along the bar: {} rows",
            rows.len()
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_picture_and_styles_differ() {
        let digit = bar(12, 16);
        for style in LookalikeStyle::ALL {
            let a = lookalike(&digit, style, 3).unwrap();
            assert_eq!(a, lookalike(&digit, style, 3).unwrap(), "{}", style.name());
            assert_ne!(a, lookalike(&digit, style, 4).unwrap(), "{}", style.name());
            let picture = crate::predict::decode(&a).unwrap();
            assert!(picture.width() >= 280, "{}", style.name());
        }
        assert!(matches!(
            lookalike(&[0; 10], LookalikeStyle::Photo, 0),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn a_pen_is_thinner_than_a_marker() {
        let digit = bar(12, 16);
        let ink_fraction = |style| {
            let picture = crate::predict::decode(&lookalike(&digit, style, 1).unwrap()).unwrap();
            let grey = picture.to_luma8();
            let paper = grey.get_pixel(2, 2).0[0] as f32;
            grey.pixels()
                .filter(|p| (p.0[0] as f32) < 0.6 * paper)
                .count()
        };
        let (pen, marker) = (
            ink_fraction(LookalikeStyle::PenPhoto),
            ink_fraction(LookalikeStyle::MarkerPhoto),
        );
        assert!(
            pen > 0 && marker > 2 * pen,
            "pen {pen} px, marker {marker} px"
        );
    }
}
