//! A contact sheet of digits with their captions, for eyeballing a data set.

use image::{Rgb, RgbImage};

use super::text::{draw_text, text_height, text_width};
use crate::data::IMAGE_SIDE;

const BACKGROUND: Rgb<u8> = Rgb([250, 250, 250]);
const CAPTION: Rgb<u8> = Rgb([40, 40, 40]);
const GAP: u32 = 6;

/// Lays out 28×28 grayscale digits (`image.len() == 784`) in a grid, each
/// enlarged `scale` times with nearest-neighbour (so pixels stay pixels) and
/// its caption centred underneath.
///
/// ```
/// let digits = vec![vec![0u8; 784]; 12];
/// let captions: Vec<String> = (0..12).map(|i| (i % 10).to_string()).collect();
/// let refs: Vec<&[u8]> = digits.iter().map(Vec::as_slice).collect();
/// let sheet = lenet::viz::digit_grid(&refs, &captions, 5, 3);
/// assert_eq!(sheet.width(), 5 * (28 * 3 + 6) + 6);
/// ```
pub fn digit_grid(images: &[&[u8]], captions: &[String], columns: usize, scale: u32) -> RgbImage {
    let columns = columns.max(1);
    let scale = scale.max(1);
    let rows = images.len().div_ceil(columns).max(1) as u32;
    let tile = IMAGE_SIDE as u32 * scale;
    let text_scale = scale.div_ceil(2);
    let caption_h = text_height(text_scale) + 4;
    let cell_w = tile + GAP;
    let cell_h = tile + caption_h + GAP;
    let mut sheet = RgbImage::from_pixel(
        columns as u32 * cell_w + GAP,
        rows * cell_h + GAP,
        BACKGROUND,
    );
    for (i, image) in images.iter().enumerate() {
        let x0 = GAP + (i % columns) as u32 * cell_w;
        let y0 = GAP + (i / columns) as u32 * cell_h;
        for (p, &value) in image.iter().take(IMAGE_SIDE * IMAGE_SIDE).enumerate() {
            let (px, py) = ((p % IMAGE_SIDE) as u32, (p / IMAGE_SIDE) as u32);
            for dy in 0..scale {
                for dx in 0..scale {
                    sheet.put_pixel(x0 + px * scale + dx, y0 + py * scale + dy, Rgb([value; 3]));
                }
            }
        }
        if let Some(caption) = captions.get(i) {
            let w = text_width(caption, text_scale);
            let x = x0 + tile.saturating_sub(w) / 2;
            draw_text(&mut sheet, x, y0 + tile + 2, caption, text_scale, CAPTION);
        }
    }
    sheet
}
