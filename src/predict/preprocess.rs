//! From a photo of a handwritten digit to what MNIST digits look like.
//!
//! MNIST digits are white ink on black, size-normalised to fit a 20×20 box
//! (keeping their aspect ratio, anti-aliased), then placed in a 28×28 field so
//! that their centre of mass is at the centre. A photo is dark ink on light,
//! unevenly lit paper, at any size and position. Each step below undoes one of
//! those differences; each is an option so its effect can be seen.

use std::path::Path;

use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, Luma};
use serde::Serialize;

use super::gray::{Gray, box_blur, crop_to_ink, median, opening, percentile, resize};
use super::mask::opened;
use super::polarity::Polarity;
use super::strays::clear_strays;
use super::stroke::MNIST_STROKE_WIDTH;
use super::surroundings::clear_surroundings;
use super::views::Views;
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE, Normalization};
use crate::picture::{DecodeLimits, MAX_PICTURE_FILE_BYTES, PictureError};
use crate::{Error, Result};

/// Photos are reduced to this many pixels on their longer side before the
/// lighting is analysed (a digit needs far fewer than a 12-megapixel photo has).
const WORKING_SIDE: u32 = 512;

/// Below this contrast (the ink's median over the paper, in [0, 1]) a picture
/// is taken as blank.
const MIN_CONTRAST: f32 = 0.08;

/// A picture with ink on less than this share of it and on fewer than
/// [`MIN_INK_PIXELS`] (at the working size) is taken as blank but for specks.
const MIN_INK_SHARE: f32 = 0.0005;

/// ... the share alone refused a digit written small on a phone photo: a pen's
/// digit a tenth of a 4032×3024 photo's height is under 0.05% ink. Twenty pixels
/// at the working size are a digit 10 px tall in a 1-px line.
const MIN_INK_PIXELS: f32 = 20.0;

/// The dimmest paper (its light in [0, 1]) the ink's darkness is taken as a
/// share of: below it, a share of the noise would be taken for dark ink.
const DIM_PAPER: f32 = 0.1;

/// Passes of [`paper_shade`] after the plain mean: the second finds most of
/// what the first left of a bold stroke's core; a third moved 77 of 12,097
/// answers of a model (seed 0; the sets of docs/PREDICT.md), 6 more right on
/// balance, for a third more of the time.
const PAPER_PASSES: usize = 2;

/// Strokes wider than this share of the background's blur radius are bold
/// ([`paper_shade`]): about an eighth of the blur's window, where a plain
/// mean starts to hollow them. A pen's stroke on a photo is narrower.
const BOLD_STROKE_OF_RADIUS: f32 = 0.25;

/// The steps of [`prepare_image`], each switchable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preprocess {
    /// Ink polarity (default: decided from the image).
    pub polarity: Polarity,
    /// Subtract the slowly varying background (shadows, uneven light, paper
    /// texture; estimated from the paper, bold strokes left out) and stretch
    /// the contrast so the strokes reach full intensity.
    pub flatten_background: bool,
    /// Clear what a photo shows around the digit that is not the digit: ruled
    /// lines (thin, parallel, edge to edge), the desk or shadow beyond the
    /// paper's edge (ink lying along the picture's edge, or from side to side)
    /// and marks away from the digit (the pieces of ink not near its own, where
    /// lighter than it or cut by the picture's edge). Kept, they are ink to the
    /// crop, and the digit ends up a few pixels wide. With `flatten_background`,
    /// the ink left is then stretched on its own: the contrast that decides
    /// whether a picture is blank is the digit's, not its ruled lines'.
    pub clear_surroundings: bool,
    /// Crop to the ink and scale it to fit `fit_box`, keeping its aspect ratio;
    /// otherwise squash the whole picture to 28×28.
    pub crop_to_ink: bool,
    /// Side of the box the digit is fitted into (MNIST: 20).
    pub fit_box: u32,
    /// Place the digit so its centre of mass is at the centre of the 28×28 field
    /// (MNIST's convention); otherwise centre its bounding box.
    pub centre_of_mass: bool,
    /// Thicken strokes thinner than MNIST's, or thin strokes thicker, towards this
    /// width in pixels of the 28×28 field (default [`MNIST_STROKE_WIDTH`]); `None`
    /// keeps them as drawn. Only with `crop_to_ink`. A ballpoint pen photographed
    /// from arm's length leaves strokes of about half a pixel once the digit is
    /// 20 px tall — faint lines the model has never seen.
    pub stroke_width: Option<f32>,
    /// Take a picture that is already 28×28 as laid out like MNIST: decide only
    /// its polarity, so an MNIST digit saved as a PNG gives exactly its dataset tensor.
    pub keep_28x28: bool,
    /// Also read the digit shifted and slanted a little, and average the
    /// probabilities (test-time augmentation, [`Views`]; default
    /// [`Views::SHIFTS_AND_SLANTS`]); `None` reads the prepared digit alone.
    /// Not with `tutorial_naive`, which reads once.
    pub views: Option<Views>,
    /// Reproduce the tutorial's naive path instead: grayscale, squash to 28×28,
    /// no inversion, then MNIST mean/std normalisation whatever the model was
    /// trained with. For comparison only.
    pub tutorial_naive: bool,
}

impl Default for Preprocess {
    fn default() -> Self {
        Self {
            polarity: Polarity::Auto,
            flatten_background: true,
            clear_surroundings: true,
            crop_to_ink: true,
            fit_box: 20,
            centre_of_mass: true,
            stroke_width: Some(MNIST_STROKE_WIDTH),
            keep_28x28: true,
            views: Some(Views::SHIFTS_AND_SLANTS),
            tutorial_naive: false,
        }
    }
}

impl Preprocess {
    /// The tutorial's path: grayscale, squash to 28×28, normalise with MNIST's
    /// mean and std.
    pub fn tutorial() -> Self {
        Self {
            polarity: Polarity::LightInk,
            flatten_background: false,
            clear_surroundings: false,
            crop_to_ink: false,
            centre_of_mass: false,
            stroke_width: None,
            views: None,
            tutorial_naive: true,
            ..Self::default()
        }
    }
}

/// A digit ready for the model: 28×28 values in [0, 1], light ink on black.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreparedDigit {
    /// Row-major 28×28 values in [0, 1] (before the model's normalisation).
    #[serde(skip)]
    pub pixels: Vec<f32>,
    /// Whether the picture was inverted (it had dark ink on a light background).
    pub inverted: bool,
    /// Fraction of the working picture covered by ink.
    pub ink_fraction: f32,
    /// Contrast between ink and background, 0..1 (low means a faint or blank picture).
    pub contrast: f32,
    /// When set, the model input uses this normalisation instead of the model's
    /// own (only the tutorial's naive path does this).
    pub forced_normalization: Option<Normalization>,
    /// The further ways the digit is read ([`Views`]: shifted and slanted
    /// copies, made when it is read), averaged with it by
    /// [`predict_batch`](super::predict_batch); `None`: read once.
    pub views: Option<Views>,
}

impl PreparedDigit {
    /// A digit that is already MNIST-like (28×28 values in `[0, 1]`, white ink on
    /// black, e.g. an MNIST image / 255): nothing to prepare.
    ///
    /// ```
    /// use lenet::predict::PreparedDigit;
    ///
    /// let digit = PreparedDigit::from_pixels(vec![0.0; 784]);
    /// assert_eq!(digit.ink_fraction, 0.0);
    /// ```
    pub fn from_pixels(pixels: Vec<f32>) -> Self {
        let ink = pixels.iter().filter(|&&p| p > 0.5).count();
        let (low, high) = pixels
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &p| {
                (l.min(p), h.max(p))
            });
        Self {
            ink_fraction: ink as f32 / pixels.len().max(1) as f32,
            contrast: (high - low).max(0.0),
            pixels,
            inverted: false,
            forced_normalization: None,
            views: None,
        }
    }

    /// An MNIST image (28×28 bytes, white ink on black) as it is: its bytes
    /// / 255, the values the dataset's batches hold before normalisation.
    ///
    /// ```
    /// use lenet::predict::PreparedDigit;
    ///
    /// let digit = PreparedDigit::from_mnist(&[255; 784]);
    /// assert_eq!((digit.pixels[0], digit.ink_fraction), (1.0, 1.0));
    /// ```
    pub fn from_mnist(image: &[u8]) -> Self {
        Self::from_pixels(image.iter().map(|&p| f32::from(p) / 255.0).collect())
    }

    /// This digit, also read in `views` (test-time augmentation).
    ///
    /// ```
    /// use lenet::data::Normalization;
    /// use lenet::predict::{PreparedDigit, Views};
    ///
    /// let digit = PreparedDigit::from_pixels(vec![0.0; 784]).with_views(Views::SHIFTS_AND_SLANTS);
    /// assert_eq!(digit.model_inputs(Normalization::None).len(), 7);
    /// ```
    pub fn with_views(mut self, views: Views) -> Self {
        self.views = Some(views);
        self
    }

    /// The model input of the digit as prepared (its first reading): `pixels`
    /// with `model_normalization` (or the forced one) applied.
    pub fn model_input(&self, model_normalization: Normalization) -> Vec<f32> {
        self.normalized(&self.pixels, model_normalization)
    }

    /// How many times [`predict_batch`](super::predict_batch) reads the digit:
    /// once, and once per view.
    pub fn readings(&self) -> usize {
        1 + self.views.map_or(0, |_| Views::COUNT)
    }

    /// Every reading's model input: the digit as prepared, then its views.
    ///
    /// ```
    /// use lenet::data::Normalization;
    /// use lenet::predict::PreparedDigit;
    ///
    /// let digit = PreparedDigit::from_pixels(vec![0.5; 784]);
    /// let inputs = digit.model_inputs(Normalization::MNIST);
    /// assert_eq!(inputs, vec![digit.model_input(Normalization::MNIST)]);
    /// ```
    pub fn model_inputs(&self, model_normalization: Normalization) -> Vec<Vec<f32>> {
        let views = self.views.map(|v| v.of(&self.pixels)).unwrap_or_default();
        std::iter::once(&self.pixels)
            .chain(&views)
            .map(|pixels| self.normalized(pixels, model_normalization))
            .collect()
    }

    fn normalized(&self, pixels: &[f32], model_normalization: Normalization) -> Vec<f32> {
        let normalization = self.forced_normalization.unwrap_or(model_normalization);
        pixels
            .iter()
            .map(|&v| normalization.apply_scaled(v))
            .collect()
    }

    /// The 28×28 picture as 8-bit grey, for saving and looking at.
    pub fn to_image(&self) -> image::GrayImage {
        image::GrayImage::from_fn(IMAGE_SIDE as u32, IMAGE_SIDE as u32, |x, y| {
            let v = self.pixels[y as usize * IMAGE_SIDE + x as usize];
            Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
        })
    }
}

/// Reads a picture file (format told from its bytes) and prepares it.
///
/// ```no_run
/// use lenet::predict::{Preprocess, prepare_image_file};
///
/// let digit = prepare_image_file("my_five.jpg".as_ref(), &Preprocess::default())?;
/// assert_eq!(digit.pixels.len(), 784);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn prepare_image_file(path: &Path, options: &Preprocess) -> Result<PreparedDigit> {
    let fail = |reason: PictureError| Error::Picture {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = crate::read_limit::read_at_most(path, MAX_PICTURE_FILE_BYTES, "a picture")?;
    let image = decode(&bytes).map_err(fail)?;
    prepare_image(&image, options).map_err(fail)
}

/// Decodes image bytes within [`DecodeLimits::FILES`], turned upright as
/// their Exif orientation says (see [`decode_with`]).
pub fn decode(bytes: &[u8]) -> std::result::Result<DynamicImage, PictureError> {
    decode_with(bytes, DecodeLimits::FILES)
}

/// Decodes image bytes within `limits`, turned upright as their Exif
/// orientation says (a phone's portrait photo is stored sideways with a tag
/// saying so; JPEG, PNG and WebP carry it). A quarter turn copies the
/// pixels, so the picture and its copy together must fit `limits.max_bytes`.
///
/// ```
/// use lenet::predict::{DecodeLimits, PictureError, decode_with};
///
/// // A PNG header that claims 5000×5000 pixels, and nothing else.
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// png.extend_from_slice(&5000u32.to_be_bytes());
/// png.extend_from_slice(&5000u32.to_be_bytes());
/// png.extend_from_slice(&[8, 0, 0, 0, 0, 0x78, 0xf3, 0xd8, 0x17]); // 8-bit grey, its CRC
/// let refused = decode_with(&png, DecodeLimits::SERVER).unwrap_err();
/// assert!(matches!(refused, PictureError::TooLarge { .. }), "{refused}");
/// ```
pub fn decode_with(
    bytes: &[u8],
    limits: DecodeLimits,
) -> std::result::Result<DynamicImage, PictureError> {
    if bytes.is_empty() {
        return Err(PictureError::Empty);
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PictureError::Corrupt(e.to_string()))?;
    if reader.format().is_none() {
        return Err(PictureError::NotAnImage);
    }
    let mut bounds = image::Limits::default();
    bounds.max_image_width = Some(limits.max_side);
    bounds.max_image_height = Some(limits.max_side);
    bounds.max_alloc = Some(limits.max_bytes);
    reader.limits(bounds.clone());
    let refusal = |e: image::ImageError| match e {
        image::ImageError::Limits(l) => PictureError::TooLarge {
            reason: l.to_string(),
            limits,
        },
        image::ImageError::Unsupported(_) => PictureError::NotAnImage,
        other => PictureError::Corrupt(other.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    // A phone stores a portrait photo sideways and says so in its Exif
    // orientation; every viewer shows it upright, so the digit is read
    // upright too. Unreadable Exif is no reason to refuse the pixels.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // Turning by a quarter makes a copy: both must fit in the budget.
    let copies = match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => 2,
        _ => 1,
    };
    // As `ImageReader::decode` does: what the pixels take is reserved, and
    // the decoder's own buffers must fit in the rest.
    bounds
        .reserve(decoder.total_bytes().saturating_mul(copies))
        .map_err(refusal)?;
    decoder.set_limits(bounds).map_err(refusal)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Turns a decoded picture into an MNIST-like digit (see [`Preprocess`]).
///
/// ```
/// use image::{DynamicImage, GrayImage, Luma};
/// use lenet::predict::{Preprocess, prepare_image};
///
/// // A dark vertical stroke on light paper, off-centre in a 120×90 photo.
/// let photo = GrayImage::from_fn(120, 90, |x, y| {
///     Luma([if (30..36).contains(&x) && (20..70).contains(&y) { 40 } else { 220 }])
/// });
/// let digit = prepare_image(&DynamicImage::ImageLuma8(photo), &Preprocess::default()).unwrap();
/// assert!(digit.inverted);
/// let ink_at = |x: usize, y: usize| digit.pixels[y * 28 + x];
/// assert!(ink_at(14, 14) > 0.5, "the stroke is centred, white on black");
/// assert!(ink_at(2, 2) < 0.05);
/// ```
pub fn prepare_image(
    image: &DynamicImage,
    options: &Preprocess,
) -> std::result::Result<PreparedDigit, PictureError> {
    let digit = prepare_pixels(image, options)?;
    Ok(match options.views {
        Some(views) if !options.tutorial_naive => digit.with_views(views),
        _ => digit,
    })
}

/// [`prepare_image`] up to the 28×28 digit, without its views.
fn prepare_pixels(
    image: &DynamicImage,
    options: &Preprocess,
) -> std::result::Result<PreparedDigit, PictureError> {
    let (w, h) = (image.width(), image.height());
    if w < 4 || h < 4 {
        return Err(PictureError::TooSmall(w, h));
    }
    let gray = working_gray(image);
    if options.tutorial_naive {
        let small = imageops::resize(
            &gray,
            IMAGE_SIDE as u32,
            IMAGE_SIDE as u32,
            FilterType::Triangle,
        );
        return Ok(PreparedDigit {
            pixels: small.into_raw(),
            inverted: false,
            ink_fraction: 0.0,
            contrast: 0.0,
            forced_normalization: Some(Normalization::MNIST),
            views: None,
        });
    }
    let inverted = options.polarity.inverts(&gray);
    let mut ink = gray;
    if inverted {
        ink.pixels_mut().for_each(|p| p.0[0] = 1.0 - p.0[0]);
    }
    let already_mnist = options.keep_28x28 && (w, h) == (IMAGE_SIDE as u32, IMAGE_SIDE as u32);
    if already_mnist {
        let contrast = contrast_of(ink.as_raw());
        if contrast < MIN_CONTRAST {
            return Err(PictureError::NoInk { contrast });
        }
        let ink_fraction =
            ink.as_raw().iter().filter(|&&v| v > 0.5).count() as f32 / ink.len() as f32;
        return Ok(PreparedDigit {
            pixels: ink.into_raw(),
            inverted,
            ink_fraction,
            contrast,
            forced_normalization: None,
            views: None,
        });
    }
    let (ink, contrast, ink_fraction) = if options.flatten_background {
        flattened(ink, options.clear_surroundings)
    } else {
        let mut ink = ink;
        if options.clear_surroundings {
            let darkness = ink.as_raw().clone();
            clear_surroundings(&mut ink, &darkness);
            clear_strays(&mut ink);
        }
        let c = contrast_of(ink.as_raw());
        let f = ink.as_raw().iter().filter(|&&v| v > 0.5).count() as f32 / ink.len() as f32;
        (ink, c, f)
    };
    let ink_pixels = ink_fraction * ink.len() as f32;
    if contrast < MIN_CONTRAST || (ink_fraction < MIN_INK_SHARE && ink_pixels < MIN_INK_PIXELS) {
        return Err(PictureError::NoInk { contrast });
    }
    let pixels = if options.crop_to_ink {
        fit_and_centre(&ink, options)
    } else {
        imageops::resize(
            &ink,
            IMAGE_SIDE as u32,
            IMAGE_SIDE as u32,
            FilterType::Triangle,
        )
        .into_raw()
    };
    Ok(PreparedDigit {
        pixels,
        inverted,
        ink_fraction,
        contrast,
        forced_normalization: None,
        views: None,
    })
}

/// Grayscale in [0, 1], transparent areas composited onto the background the
/// opaque part suggests, reduced to at most `WORKING_SIDE` pixels.
fn working_gray(image: &DynamicImage) -> Gray {
    // A huge picture — or a small file that claims one (an 866-byte JPEG can say
    // 10784×6400) — is first shrunk in its own pixel type, which is cheap, so the
    // float copies below never exceed (2 · WORKING_SIDE)² pixels: converting the
    // whole of such a picture to RGBA floats took 1.1 GB and seconds (found by
    // fuzzing, see docs/RELIABILITY.md).
    let shrunk;
    let image = if image.width().max(image.height()) > 2 * WORKING_SIDE {
        shrunk = image.thumbnail(2 * WORKING_SIDE, 2 * WORKING_SIDE);
        &shrunk
    } else {
        image
    };
    let rgba = image.to_rgba32f();
    // Grey pictures keep their exact values (an MNIST PNG must give MNIST's inputs).
    let coloured = image.color().has_color();
    let luma = |p: &image::Rgba<f32>| {
        if coloured {
            0.299 * p.0[0] + 0.587 * p.0[1] + 0.114 * p.0[2]
        } else {
            p.0[0]
        }
    };
    let (mut sum, mut weight) = (0.0f64, 0.0f64);
    for p in rgba.pixels() {
        sum += (luma(p) * p.0[3]) as f64;
        weight += p.0[3] as f64;
    }
    let backdrop = if weight > 0.0 && sum / weight > 0.5 {
        1.0
    } else {
        0.0
    };
    let backdrop = if weight == 0.0 { 1.0 } else { backdrop };
    let gray = Gray::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y);
        let a = p.0[3].clamp(0.0, 1.0);
        Luma([(luma(p) * a + backdrop * (1.0 - a)).clamp(0.0, 1.0)])
    });
    let longest = gray.width().max(gray.height());
    if longest <= WORKING_SIDE {
        return gray;
    }
    let scale = WORKING_SIDE as f32 / longest as f32;
    let w = ((gray.width() as f32 * scale).round() as u32).max(1);
    let h = ((gray.height() as f32 * scale).round() as u32).max(1);
    imageops::resize(&gray, w, h, FilterType::Triangle)
}

fn contrast_of(values: &[f32]) -> f32 {
    percentile(values, 0.995) - median(values)
}

/// The ink above the background, which a wide blur of the paper estimates
/// (shadows, uneven light and paper texture vary slowly; strokes do not); and
/// the same as a share of the paper's light there, `darkness`, which the light
/// does not change (ink takes a share of the light that falls on the paper).
fn background_removed(ink: &Gray) -> (Vec<f32>, Vec<f32>) {
    let (w, h) = ink.dimensions();
    let radius = (w.min(h) / 6).max(2);
    let background = paper_shade(ink, radius);
    ink.as_raw()
        .iter()
        .zip(background.iter())
        .map(|(&v, &b)| {
            let residual = (v - b).max(0.0);
            // Ink inverted from dark on light: the paper's light is 1 - b
            // (light ink on a dark ground: 1 - b is near 1, the residual).
            (residual, (residual / (1.0 - b).max(DIM_PAPER)).min(1.0))
        })
        .unzip()
}

/// The paper's shade around each pixel of `ink` (ink high, paper low): the
/// mean over a (2r+1)² window, leaving out the bold strokes. A plain mean
/// takes a bold stroke for background where the stroke is much of the window
/// — a marker's digit cropped tight, a thick 1 filling its picture — and the
/// subtraction hollowed the stroke out: the digit was read from its outline
/// (docs/PREDICT.md, "What was tried").
///
/// A bold stroke is ink (what the stretch would keep above the shade
/// estimated so far, starting from the plain mean: over half Otsu's
/// threshold, [`stretched`]) wider than [`BOLD_STROKE_OF_RADIUS`] of
/// `radius`, which an opening by a square finds (a slanted stroke must be up
/// to √2 times wider; at the picture's edge, where the erosion sees no paper
/// beyond, half as wide). Where no ink is bold — a pen's stroke or a ruled line
/// is thinner — the shade is the plain mean, as it always was. So it is in a
/// picture whose ink above the plain mean is too faint to be a digit (under
/// [`MIN_CONTRAST`], which step 6 refuses as blank): taken the wrong way round
/// (`Polarity`), the paper beside dark strokes is lighter than its window's
/// mean, which the strokes darken, and was found bold. Each pass looks again
/// above the better estimate, where more of a bold stroke's core stands out
/// (above the plain mean it is faint); a window with no paper (inside a
/// stroke wider than it) keeps the estimate it had.
///
/// Last, the shade is raised to the picture's [`opening`] by the same
/// window where that is higher: a shadow's edge across the paper (the
/// phone's, a hand's) is a step that the mean blurs, and on its dark side the
/// paper stood out above the mean as ink — a band along the edge, which
/// joined the digit and was read with it (a pen's photos with a shadow across
/// them, docs/PREDICT.md). The opening keeps the step and takes every stroke
/// narrower than the window down to the paper around it, so it is never above
/// the paper beside a stroke, and on paper without a step it lies below the
/// mean (the least of the paper's grain, and a slope's lower side).
fn paper_shade(ink: &Gray, radius: u32) -> Vec<f32> {
    let (w, h) = ink.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let values = ink.as_raw();
    let mut shade = box_blur(values, w, h, radius);
    // The opening's brush: ink at least twice this plus one wide is bold.
    let half_bold = ((radius as f32 * BOLD_STROKE_OF_RADIUS / 2.0) as usize).max(1);
    for _ in 0..PAPER_PASSES {
        let above: Vec<f32> = values
            .iter()
            .zip(&shade)
            .map(|(&v, &b)| (v - b).max(0.0))
            .collect();
        let ink = InkAbove::of(&above);
        if ink.contrast < MIN_CONTRAST {
            break;
        }
        let clear = 0.5 * ink.threshold;
        let inked: Vec<bool> = above.iter().map(|&a| a > clear).collect();
        let bold = opened(&inked, wu, hu, half_bold);
        if !bold.contains(&true) {
            break;
        }
        let paper: Vec<f32> = bold.iter().map(|&b| if b { 0.0 } else { 1.0 }).collect();
        let weighted: Vec<f32> = values.iter().zip(&paper).map(|(v, p)| v * p).collect();
        let share = box_blur(&paper, w, h, radius);
        let sum = box_blur(&weighted, w, h, radius);
        for ((b, s), t) in shade.iter_mut().zip(share).zip(sum) {
            if s > 1e-6 {
                *b = t / s;
            }
        }
    }
    let steps = opening(values, wu, hu, radius as usize);
    for (b, s) in shade.iter_mut().zip(steps) {
        *b = b.max(s);
    }
    shade
}

/// The ink in a residual above the background: Otsu's threshold, the median of
/// what lies above it (the contrast; 0 where nothing does) and how many pixels do.
struct InkAbove {
    threshold: f32,
    contrast: f32,
    pixels: usize,
}

impl InkAbove {
    fn of(residual: &[f32]) -> Self {
        let threshold = otsu(residual);
        let strong: Vec<f32> = residual
            .iter()
            .copied()
            .filter(|&v| v > threshold)
            .collect();
        let contrast = if strong.is_empty() {
            0.0
        } else {
            median(&strong)
        };
        Self {
            threshold,
            contrast,
            pixels: strong.len(),
        }
    }
}

/// Stretches ink above the background (`w` × `h`) to full intensity: the
/// median of the ink above Otsu's threshold becomes 1, half the threshold 0.
/// Returns the stretched picture, that median (the contrast) and the share of
/// pixels above the threshold (the ink fraction).
fn stretched(mut residual: Vec<f32>, w: u32, h: u32) -> (Gray, f32, f32) {
    let ink = InkAbove::of(&residual);
    let (threshold, contrast) = (ink.threshold, ink.contrast);
    let ink_fraction = ink.pixels as f32 / residual.len() as f32;
    let low = 0.5 * threshold;
    let high = contrast.max(low + 1e-3);
    for v in &mut residual {
        *v = ((*v - low) / (high - low)).clamp(0.0, 1.0);
    }
    let flattened = Gray::from_raw(w, h, residual).expect("same size");
    (flattened, contrast, ink_fraction)
}

/// Flattens the background and, where asked, clears what surrounds the
/// digit; returns the picture, its contrast and ink fraction.
///
/// What the clearing leaves is stretched again on its own: ruled lines or a
/// desk can be most of the ink, and then the contrast and the stretch were
/// theirs — a dark digit on grey paper ruled with many light lines was read
/// as blank (contrast under [`MIN_CONTRAST`]).
fn flattened(ink: Gray, clear: bool) -> (Gray, f32, f32) {
    let (w, h) = ink.dimensions();
    let (residual, darkness) = background_removed(&ink);
    let (mut flat, contrast, ink_fraction) = stretched(residual.clone(), w, h);
    if !clear {
        return (flat, contrast, ink_fraction);
    }
    let before: Vec<bool> = flat.iter().map(|&v| v > 0.0).collect();
    clear_surroundings(&mut flat, &darkness);
    clear_strays(&mut flat);
    let cleared = flat.iter().zip(&before).any(|(&v, &b)| b && v == 0.0);
    if !cleared {
        return (flat, contrast, ink_fraction);
    }
    // Only what is left of the ink, at its strength before the stretch.
    let left = residual
        .into_iter()
        .zip(flat.iter())
        .map(|(r, &v)| if v > 0.0 { r } else { 0.0 })
        .collect();
    stretched(left, w, h)
}

/// Otsu's threshold on values in [0, 1].
fn otsu(values: &[f32]) -> f32 {
    let mut histogram = [0f64; 256];
    for &v in values {
        histogram[(v.clamp(0.0, 1.0) * 255.0) as usize] += 1.0;
    }
    let total: f64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c)
        .sum();
    let (mut weight_bg, mut sum_bg, mut best, mut threshold) = (0.0, 0.0, -1.0, 0usize);
    for (i, &count) in histogram.iter().enumerate() {
        weight_bg += count;
        if weight_bg == 0.0 || weight_bg == total {
            continue;
        }
        sum_bg += i as f64 * count;
        let mean_bg = sum_bg / weight_bg;
        let mean_fg = (sum_all - sum_bg) / (total - weight_bg);
        let between = weight_bg * (total - weight_bg) * (mean_bg - mean_fg).powi(2);
        if between > best {
            best = between;
            threshold = i;
        }
    }
    (threshold as f32 + 0.5) / 255.0
}

/// Crops to the ink (see [`crop_to_ink`]), brings its strokes towards
/// `stroke_width`, fits it into `fit_box` keeping the aspect ratio, and places
/// it in 28×28.
fn fit_and_centre(ink: &Gray, options: &Preprocess) -> Vec<f32> {
    let fit = options.fit_box.clamp(1, IMAGE_SIDE as u32) as f32;
    let crop = crop_to_ink(ink);
    let crop = match options.stroke_width {
        Some(target) => super::stroke::restroke(&crop, fit, target),
        None => crop,
    };
    let scale = fit / crop.width().max(crop.height()) as f32;
    let nw = ((crop.width() as f32 * scale).round() as u32).clamp(1, fit as u32);
    let nh = ((crop.height() as f32 * scale).round() as u32).clamp(1, fit as u32);
    let small = resize(&crop, nw, nh);
    let (cx, cy) = if options.centre_of_mass {
        centre_of(&small)
    } else {
        ((nw as f32 - 1.0) / 2.0, (nh as f32 - 1.0) / 2.0)
    };
    let middle = (IMAGE_SIDE as f32 - 1.0) / 2.0;
    let max_x = (IMAGE_SIDE as u32 - nw) as i64;
    let max_y = (IMAGE_SIDE as u32 - nh) as i64;
    let left = ((middle - cx).round() as i64).clamp(0, max_x);
    let top = ((middle - cy).round() as i64).clamp(0, max_y);
    let mut field = Gray::new(IMAGE_SIDE as u32, IMAGE_SIDE as u32);
    imageops::replace(&mut field, &small, left, top);
    let mut pixels = field.into_raw();
    pixels.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
    debug_assert_eq!(pixels.len(), IMAGE_PIXELS);
    pixels
}

fn centre_of(image: &Gray) -> (f32, f32) {
    let (mut sx, mut sy, mut total) = (0f64, 0f64, 0f64);
    for (x, y, p) in image.enumerate_pixels() {
        let v = p.0[0] as f64;
        sx += x as f64 * v;
        sy += y as f64 * v;
        total += v;
    }
    if total == 0.0 {
        return (
            (image.width() as f32 - 1.0) / 2.0,
            (image.height() as f32 - 1.0) / 2.0,
        );
    }
    ((sx / total) as f32, (sy / total) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predict::gray::picture;

    #[test]
    fn a_small_pen_digit_on_a_phone_photo_is_read_and_a_speck_is_not() {
        // A 4032×3024 photo of grey paper: a "7" 180 px tall in a 6-px pen is
        // ink on under 0.05% of it, the share alone a picture used to need.
        let seven = |x: u32, y: u32| {
            let down = y.wrapping_sub(1400);
            let bar = down < 6 && (1960..2060).contains(&x);
            let stem = down < 180 && (2054..2060).contains(&(x + down / 2));
            bar || stem
        };
        // A speck of dust, a few pixels at the working size.
        let speck = |x: u32, y: u32| (2000..2024).contains(&x) && (1500..1524).contains(&y);
        let photo = |ink: &dyn Fn(u32, u32) -> bool| {
            let page = image::GrayImage::from_fn(4032, 3024, |x, y| {
                Luma([if ink(x, y) { 40 } else { 200 }])
            });
            DynamicImage::ImageLuma8(page)
        };
        let digit = prepare_image(&photo(&seven), &Preprocess::default()).unwrap();
        assert!(
            digit.inverted && digit.ink_fraction < 0.0005,
            "{}",
            digit.ink_fraction
        );
        let inked = digit.pixels.iter().filter(|&&v| v > 0.5).count();
        assert!(inked > 30, "{inked} pixels of the 28×28 digit are ink");
        // Blank but for a speck: its contrast is the pen's, its ink too little.
        for (page, what) in [
            (photo(&speck), "a speck"),
            (photo(&|_, _| false), "nothing"),
        ] {
            let refused = prepare_image(&page, &Preprocess::default());
            assert!(matches!(refused, Err(PictureError::NoInk { .. })), "{what}");
        }
    }

    #[test]
    fn marks_away_from_the_digit_are_cleared_without_the_flattening_too() {
        let one = |speck: bool| {
            let picture = image::GrayImage::from_fn(200, 200, |x, y| {
                let stroke = (96..104).contains(&x) && (40..160).contains(&y);
                let mark = speck && (185..190).contains(&x) && (185..190).contains(&y);
                Luma([if stroke || mark { 255 } else { 0 }])
            });
            DynamicImage::ImageLuma8(picture)
        };
        let options = |clear_surroundings| Preprocess {
            flatten_background: false,
            clear_surroundings,
            views: None,
            ..Preprocess::default()
        };
        let clean = prepare_image(&one(false), &options(true)).unwrap();
        let cleared = prepare_image(&one(true), &options(true)).unwrap();
        let kept = prepare_image(&one(true), &options(false)).unwrap();
        assert_eq!(cleared.pixels, clean.pixels);
        assert_ne!(kept.pixels, clean.pixels, "the speck did not move the crop");
    }

    #[test]
    fn a_bold_stroke_filling_its_picture_is_not_taken_for_background() {
        // A 0 in a marker's stroke 16 px wide, filling a 72×72 picture: the
        // stroke is much of the blur's window, which took it for background
        // and kept of the stroke little more than its two edges.
        let ring = |x: u32, y: u32| {
            let (dx, dy) = (x as f32 - 35.5, y as f32 - 35.5);
            (16.0..32.0).contains(&(dx * dx + dy * dy).sqrt())
        };
        let ink = picture(72, 72, 0.1, 0.9, ring);
        let (residual, _) = background_removed(&ink);
        // Along the middle row: the stroke's middle (x = 12), its inner edge.
        let (middle, edge) = (residual[36 * 72 + 12], residual[36 * 72 + 19]);
        assert!(
            middle > 0.7 && middle > 0.9 * edge,
            "{middle} in the middle, {edge} at the edge"
        );
    }

    #[test]
    fn a_shadow_across_the_paper_is_not_taken_for_ink() {
        // Paper whose right part lies in a shadow (ink high: 0.1 in the
        // light, 0.5 in the shadow, the edge soft over 6 px), with a pen's
        // stroke on each side: the mean blurred the edge, and the shadow's
        // side of it stood out as ink, up to half the step.
        let page = Gray::from_fn(300, 240, |x, y| {
            let shadow = ((x as f32 - 150.0) / 6.0).clamp(0.0, 1.0);
            let stroke = (60..63).contains(&x) || (230..233).contains(&x);
            let paper = 0.1 + 0.4 * shadow;
            Luma([if stroke && (40..200).contains(&y) {
                paper + 0.4
            } else {
                paper
            }])
        });
        let (residual, _) = background_removed(&page);
        let band = (150..170)
            .map(|x| residual[120 * 300 + x])
            .fold(0f32, f32::max);
        assert!(band < 0.02, "{band} beside the edge");
        // The strokes, in the light and in the shadow, stand out whole.
        assert!(residual[120 * 300 + 61] > 0.35 && residual[120 * 300 + 231] > 0.35);
    }

    #[test]
    fn without_bold_ink_the_shade_is_the_plain_mean() {
        // A pen's 7 in a 3-px stroke on ruled paper: nothing bold, so the
        // shade is the box blur it always was, bit for bit.
        let seven = |x: u32, y: u32| {
            let bar = (60..140).contains(&x) && (50..53).contains(&y);
            let stem = (120..123).contains(&x) && (53..170).contains(&y);
            bar || stem || y.is_multiple_of(24)
        };
        let ink = picture(200, 200, 0.1, 0.8, seven);
        let radius = 200 / 6;
        assert_eq!(
            paper_shade(&ink, radius),
            box_blur(ink.as_raw(), 200, 200, radius)
        );
    }

    #[test]
    fn a_dark_digit_among_many_light_ruled_lines_is_not_blank() {
        // Grey paper ruled every 20 px with light lines 4 px thick, and a
        // thin dark 7: the lines are most of the ink, and their contrast was
        // taken for the picture's.
        let page = picture(400, 400, 0.3, 0.36, |x, y| (y + x / 50) % 20 < 4);
        let seven = |x, y| {
            let bar = (150..260).contains(&x) && (100..103).contains(&y);
            let stem = (230..233).contains(&x) && (103..300).contains(&y);
            bar || stem
        };
        let ink = Gray::from_fn(400, 400, |x, y| {
            image::Luma([if seven(x, y) {
                0.6
            } else {
                page.get_pixel(x, y).0[0]
            }])
        });
        let (_, contrast, _) = flattened(ink.clone(), false);
        assert!(contrast < MIN_CONTRAST, "the lines' contrast {contrast}");
        let (cleared, contrast, _) = flattened(ink, true);
        assert!(contrast >= MIN_CONTRAST, "the 7's contrast {contrast}");
        assert_eq!(cleared.get_pixel(20, 1).0[0], 0.0, "a line is left");
        assert!(cleared.get_pixel(231, 200).0[0] > 0.5, "the 7 went");
    }
}
