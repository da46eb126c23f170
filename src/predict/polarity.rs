//! Which way round the ink is: dark on light paper (to invert, as MNIST is
//! light on black) or light on a dark background, given or decided from the
//! picture itself.

use image::imageops;
use serde::{Deserialize, Serialize};

use super::gray::{Gray, box_blur, median};
use super::mask::dilate;

/// Which way round the ink is. Read and written as `"auto"`, `"light"` and
/// `"dark"` (the explorer's `ink` query).
///
/// ```
/// use lenet::predict::Polarity;
///
/// let asked: Polarity = serde_json::from_str("\"dark\"").unwrap();
/// assert_eq!(asked, Polarity::DarkInk);
/// assert_eq!(Polarity::default(), Polarity::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Polarity {
    /// Decide from the image: a light background (lighter than half way from
    /// the picture's darkest shade to its lightest, or than 0.5 where that is
    /// less) means dark ink, which is inverted. The background is the shade
    /// of most of the picture, or of most of its middle where that shade is
    /// broad (a note on a dark desk);
    /// where both are dark, a broad light shade is paper (a note off to one
    /// side of a desk that fills the middle too).
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// Light ink on a dark background, as MNIST: keep.
    #[serde(rename = "light")]
    LightInk,
    /// Dark ink on a light background, as on paper: invert.
    #[serde(rename = "dark")]
    DarkInk,
}

impl Polarity {
    /// Whether `gray` (grey levels in [0, 1]) is to be inverted to make its
    /// ink light on black.
    pub(super) fn inverts(self, gray: &Gray) -> bool {
        match self {
            Self::Auto => light_background(gray),
            Self::DarkInk => true,
            Self::LightInk => false,
        }
    }
}

/// Paper is broad, strokes are not: a shade is broad where some of it lies
/// farther than this share of the picture's shorter side from the other
/// shade ...
const BROAD: f32 = 0.12;
/// ... over at least this share of the picture (a fat marker's 1 cropped
/// tight, its stroke a quarter of the picture wide from edge to edge, is not).
const BROAD_CORE: f32 = 0.05;

/// Shades above this are light: half way from the picture's darkest to its
/// lightest (each over 3×3 pixels, so that a noisy pixel does not count), and
/// no more than 0.5. A dim photo — taken in the evening, or exposed for a
/// brighter room — shows its paper grey (0.4 where its ink is 0.1), and its
/// ink was taken for the paper (a pen's photos at 60% of their light: 74%
/// read right against 99%, docs/PREDICT.md).
fn light_shade(gray: &Gray) -> f32 {
    let (w, h) = gray.dimensions();
    let smooth = box_blur(gray.as_raw(), w, h, 1);
    let (darkest, lightest) = smooth
        .iter()
        .fold((1f32, 0f32), |(low, high), &v| (low.min(v), high.max(v)));
    ((darkest + lightest) / 2.0).min(0.5)
}

/// Whether the picture's background is light (dark ink, to invert).
///
/// Mostly the picture's median says, against [`light_shade`]; but a photo of
/// a small note on a dark desk is mostly desk. Where the middle of the picture (the middle half of
/// each side) shows mostly the other shade, that shade is the paper if it is
/// broad — a core of it, over [`BROAD_CORE`] of the picture, lies farther
/// than [`BROAD`] of the shorter side from the first shade — and the ink if
/// not (a digit drawn in broad strokes fills the middle too, but leaves no
/// such core). The picture's edge does not count as the first shade: a note
/// running off the picture is the commonest desk photo; the price is that a
/// stroke from edge to edge wider than 29% of the picture is taken as paper.
///
/// Where the desk is most of the middle too (a note photographed from afar,
/// off to one side), a light shade that is broad is still the paper: light
/// strokes on black never are.
fn light_background(gray: &Gray) -> bool {
    let (w, h) = gray.dimensions();
    let light = light_shade(gray);
    let whole = median(gray.as_raw());
    let (x0, y0) = (w / 4, h / 4);
    let (mw, mh) = (w - 2 * x0, h - 2 * y0);
    let middle = median(
        &imageops::crop_imm(gray, x0, y0, mw, mh)
            .to_image()
            .into_raw(),
    );
    match (whole > light, middle > light) {
        (true, true) => true,
        (false, false) => is_broad(gray, light, true),
        _ => {
            let between = (whole + middle) / 2.0;
            if is_broad(gray, between, middle > between) {
                middle > light
            } else {
                whole > light
            }
        }
    }
}

/// Whether the shade of `gray` above `between` (`light`) or below it is
/// broad: a core of it over [`BROAD_CORE`] of the picture lies farther than
/// [`BROAD`] of the shorter side from the other shade.
fn is_broad(gray: &Gray, between: f32, light: bool) -> bool {
    let other_shade: Vec<bool> = gray
        .as_raw()
        .iter()
        .map(|&v| (v > between) != light)
        .collect();
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let radius = (BROAD * w.min(h) as f32).ceil() as usize;
    let reach = dilate(&other_shade, w, h, radius);
    let core = reach.iter().filter(|&&r| !r).count();
    core as f32 >= BROAD_CORE * (w * h) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predict::gray::picture;

    #[test]
    fn a_note_on_a_dark_desk_is_dark_ink_on_light_paper() {
        // A white note over the middle and right of a dark desk that is most
        // of the picture, with a dark 1 on it.
        let mut with_digit = picture(300, 300, 0.15, 0.85, |x, y| {
            x >= 140 && (60..250).contains(&y)
        });
        for y in 110..200 {
            for x in 195..203 {
                with_digit.put_pixel(x, y, image::Luma([0.2]));
            }
        }
        assert!(median(with_digit.as_raw()) < 0.5, "the desk is most of it");
        assert!(light_background(&with_digit));
    }

    #[test]
    fn a_dim_photo_of_dark_ink_is_still_dark_ink_on_light_paper() {
        // Grey paper (0.42: a photo exposed for a brighter room) with a dark
        // 7; the paper, under half, was taken for a dark background.
        let seven = picture(300, 240, 0.42, 0.08, |x, y| {
            ((100..200).contains(&x) && (50..54).contains(&y))
                || ((176..180).contains(&x) && (54..200).contains(&y))
        });
        assert!(light_background(&seven));
        // Light ink on a dark ground as dim stays the way it is.
        let chalk = picture(300, 240, 0.08, 0.42, |x, y| {
            (146..150).contains(&x) && (50..200).contains(&y)
        });
        assert!(!light_background(&chalk));
    }

    #[test]
    fn a_note_off_to_one_side_of_a_desk_that_fills_the_middle_too() {
        // A white note over the left third of a dark desk (a note photographed
        // from afar), with a small dark 1 on it: the middle is desk too.
        let mut note = picture(400, 300, 0.15, 0.85, |x, _| x < 130);
        for y in 60..90 {
            for x in 60..63 {
                note.put_pixel(x, y, image::Luma([0.2]));
            }
        }
        let middle = imageops::crop_imm(&note, 100, 75, 200, 150).to_image();
        assert!(
            median(middle.as_raw()) < 0.5,
            "the desk is most of the middle"
        );
        assert!(light_background(&note));
    }

    #[test]
    fn a_digit_drawn_in_broad_strokes_is_light_ink_on_black() {
        // An 8 drawn big with a 40 px brush on a 280 px black canvas: its
        // crossing fills the middle.
        let eight = picture(280, 280, 0.0, 1.0, |x, y| {
            let (dx, dy) = (x as f32 - 140.0, y as f32 - 140.0);
            let ring = |cy: f32, r: f32| {
                let d = (dx * dx + (dy - cy) * (dy - cy)).sqrt();
                (d - r).abs() < 20.0
            };
            ring(-55.0, 55.0) || ring(55.0, 55.0)
        });
        let middle = imageops::crop_imm(&eight, 70, 70, 140, 140).to_image();
        assert!(median(middle.as_raw()) > 0.5, "the ink fills the middle");
        assert!(!light_background(&eight));
    }

    #[test]
    fn a_fat_stroke_cropped_tight_is_still_ink() {
        // A 1 drawn with a fat marker and cropped to it, top to bottom: its
        // stroke is 26% of the picture wide and fills the middle, but the
        // paper is most of the picture.
        let one = picture(200, 200, 0.9, 0.1, |x, _| (74..126).contains(&x));
        let middle = imageops::crop_imm(&one, 50, 50, 100, 100).to_image();
        assert!(median(middle.as_raw()) < 0.5, "the ink fills the middle");
        assert!(light_background(&one));
    }
}
