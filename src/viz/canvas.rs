//! A few drawing primitives shared by the pictures: a white canvas that grows
//! downwards, blocks of enlarged pixels, and text.

use image::{Rgb, RgbImage, imageops};

use super::text::{draw_text, text_height, text_width};

pub(crate) const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
pub(crate) const INK: Rgb<u8> = Rgb([30, 30, 30]);
pub(crate) const MUTED: Rgb<u8> = Rgb([110, 110, 110]);

/// Draws a `width`×`height` grid of values (row-major) as `scale`×`scale`
/// blocks, each coloured by `colour`, with its top-left corner at (`x`, `y`).
pub(crate) fn draw_cells(
    image: &mut RgbImage,
    (x, y): (u32, u32),
    (width, height): (usize, usize),
    scale: u32,
    values: &[f32],
    colour: impl Fn(f32) -> Rgb<u8>,
) {
    for row in 0..height {
        for col in 0..width {
            let c = colour(values[row * width + col]);
            for dy in 0..scale {
                for dx in 0..scale {
                    let (px, py) = (x + col as u32 * scale + dx, y + row as u32 * scale + dy);
                    if px < image.width() && py < image.height() {
                        image.put_pixel(px, py, c);
                    }
                }
            }
        }
    }
}

/// The whole-pixel enlargement that makes a `side`-pixel map about `target` pixels.
pub(crate) fn upscale_for(side: usize, target: u32) -> u32 {
    (target / side.max(1) as u32).max(1)
}

/// `(lo, hi)` of `values`, widened when they are all equal so scaling never divides by 0.
pub(crate) fn range(values: &[f32]) -> (f32, f32) {
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        (lo, lo + 1.0)
    } else {
        (lo, hi)
    }
}

/// Pictures stacked vertically on a white page, each with an optional heading.
pub(crate) struct Page {
    parts: Vec<RgbImage>,
}

impl Page {
    pub(crate) fn new() -> Self {
        Self { parts: Vec::new() }
    }

    /// A line of text at `scale`.
    pub(crate) fn text(&mut self, text: &str, scale: u32, colour: Rgb<u8>) {
        let mut line =
            RgbImage::from_pixel(text_width(text, scale) + 16, text_height(scale) + 8, WHITE);
        draw_text(&mut line, 8, 4, text, scale, colour);
        self.parts.push(line);
    }

    pub(crate) fn image(&mut self, image: RgbImage) {
        self.parts.push(image);
    }

    /// Vertical space.
    pub(crate) fn gap(&mut self, height: u32) {
        self.parts.push(RgbImage::from_pixel(1, height, WHITE));
    }

    pub(crate) fn finish(self) -> RgbImage {
        let width = self.parts.iter().map(|p| p.width()).max().unwrap_or(1) + 16;
        let height = self.parts.iter().map(|p| p.height()).sum::<u32>() + 16;
        let mut page = RgbImage::from_pixel(width, height, WHITE);
        let mut y = 8;
        for part in &self.parts {
            imageops::replace(&mut page, part, 8, y as i64);
            y += part.height();
        }
        page
    }
}

/// Lays pictures side by side, top-aligned, with `gap` pixels between them.
pub(crate) fn side_by_side(parts: &[RgbImage], gap: u32) -> RgbImage {
    let width = parts.iter().map(|p| p.width() + gap).sum::<u32>().max(1);
    let height = parts.iter().map(|p| p.height()).max().unwrap_or(1);
    let mut row = RgbImage::from_pixel(width, height, WHITE);
    let mut x = 0;
    for part in parts {
        imageops::replace(&mut row, part, x as i64, 0);
        x += part.width() + gap;
    }
    row
}
