//! Labels on pictures without a font file: the public-domain 8×8 bitmap font,
//! scaled by whole pixels so it stays sharp.

use font8x8::{BASIC_FONTS, UnicodeFonts};
use image::{Rgb, RgbImage};

/// Glyph cell size in font pixels.
const GLYPH: u32 = 8;

/// Width in image pixels of `text` drawn at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    text.chars().count() as u32 * GLYPH * scale
}

/// Height in image pixels of one line at `scale`.
pub fn text_height(scale: u32) -> u32 {
    GLYPH * scale
}

/// Draws `text` with its top-left corner at (`x`, `y`); pixels outside the
/// image are clipped, characters the font lacks are drawn as `?`.
pub fn draw_text(image: &mut RgbImage, x: u32, y: u32, text: &str, scale: u32, color: Rgb<u8>) {
    let scale = scale.max(1);
    for (i, c) in text.chars().enumerate() {
        let glyph = BASIC_FONTS
            .get(c)
            .or_else(|| BASIC_FONTS.get('?'))
            .unwrap_or([0; 8]);
        let left = x + i as u32 * GLYPH * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..GLYPH {
                if bits & (1 << col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let px = left + col * scale + dx;
                        let py = y + row as u32 * scale + dy;
                        if px < image.width() && py < image.height() {
                            image.put_pixel(px, py, color);
                        }
                    }
                }
            }
        }
    }
}
