//! Explanations of a prediction (`lenet::explain`) as pictures: each heat map
//! laid over the digit it explains.

use image::{Rgb, RgbImage};

use super::canvas::{Page, side_by_side};
use super::colormap::diverging;
use crate::data::IMAGE_SIDE;
use crate::explain::Heatmap;

const SCALE: u32 = 4;

/// The digit (28×28 values in `[0, 1]`, white ink on black, as the model sees it)
/// and, beside it, each of `panels` laid over it: red where the value is
/// positive, blue where negative, the more opaque the larger (each panel scaled
/// to its own largest |value|). Heat maps of another size than 28×28 are drawn
/// over the digit by nearest neighbour.
///
/// ```
/// use lenet::explain::Explainer;
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
/// let digit = vec![0.5f32; 784];
/// let saliency = Explainer::new(&model, 0.0).saliency(&digit, 3)?;
/// let sheet = lenet::viz::explanation_sheet(&digit, &[("saliency", &saliency)], "class 3");
/// assert!(sheet.width() > 2 * 28 * 4);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn explanation_sheet(digit: &[f32], panels: &[(&str, &Heatmap)], title: &str) -> RgbImage {
    let grey = |p: usize| digit.get(p).copied().unwrap_or(0.0).clamp(0.0, 1.0);
    let mut pictures = vec![captioned(over_digit(&grey, None), "input")];
    for (name, map) in panels {
        pictures.push(captioned(over_digit(&grey, Some(map)), name));
    }
    let mut page = Page::new();
    page.text(title, 2, Rgb([30, 30, 30]));
    page.image(side_by_side(&pictures, 8));
    page.finish()
}

fn over_digit(grey: &impl Fn(usize) -> f32, map: Option<&Heatmap>) -> RgbImage {
    let scale = map.map_or(1.0, |m| m.max_abs().max(f32::MIN_POSITIVE));
    let side = IMAGE_SIDE as u32 * SCALE;
    RgbImage::from_fn(side, side, |x, y| {
        let (px, py) = ((x / SCALE) as usize, (y / SCALE) as usize);
        let g = grey(py * IMAGE_SIDE + px) * 255.0;
        let Some(map) = map else {
            return Rgb([g as u8; 3]);
        };
        let (my, mx) = (py * map.height / IMAGE_SIDE, px * map.width / IMAGE_SIDE);
        let t = map.at(my, mx) / scale;
        let colour = diverging(t).0;
        let a = t.abs().clamp(0.0, 1.0);
        Rgb(colour.map(|c| (g * 0.6 * (1.0 - a) + c as f32 * a).round() as u8))
    })
}

fn captioned(picture: RgbImage, caption: &str) -> RgbImage {
    let mut page = Page::new();
    page.image(picture);
    page.text(caption, 1, Rgb([40, 40, 40]));
    page.finish()
}
