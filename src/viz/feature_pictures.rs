//! Pictures of feature maps and kernels.
//!
//! How to read them:
//! - **Layer grid** (`layer_grid`): one tile per channel of one layer's output
//!   for one image. Each tile is scaled to *its own* minimum (dark purple) and
//!   maximum (yellow) with viridis, so every channel's pattern is visible even
//!   when channels differ in strength; compare strengths with the min/max in
//!   the caption, not by colour across tiles. Vector outputs (fully connected
//!   layers, and `conv3`'s 32 values of size 1×1) are drawn as a strip of cells
//!   scaled to the layer's range.
//! - **Tutorial view** (`conv_means`): for each convolution, the mean over its
//!   channels — the tutorial's picture, but of the real activations (28×28,
//!   10×10, 1×1), each scaled to its own range.
//! - **Kernels** (`kernel_grid`): row = output channel, column = input channel,
//!   each 5×5 kernel drawn with a diverging map (blue < 0 < red) scaled
//!   symmetrically by the 99th percentile of the layer's |weight| (larger ones
//!   saturate), so white is exactly zero.

use image::{Rgb, RgbImage};

use super::canvas::{INK, MUTED, Page, WHITE, draw_cells, range, side_by_side, upscale_for};
use super::colormap::{diverging, viridis};
use super::text::{draw_text, text_height, text_width};
use crate::features::{ConvKernels, FeatureMap, FeatureMaps};
use crate::model::LayerKind;

/// Target size in pixels of one enlarged map, readable without zooming.
const TILE: u32 = 84;
const GAP: u32 = 8;
const VECTOR_COLUMNS: usize = 20;
const VECTOR_CELL: u32 = 16;

fn shape_text(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// The smallest and largest value (for captions; `range` widens flat data for scaling).
fn min_max(values: &[f32]) -> (f32, f32) {
    values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// A tile with a caption under it.
fn captioned(tile: RgbImage, caption: &str) -> RgbImage {
    let width = tile.width().max(text_width(caption, 1));
    let mut out = RgbImage::from_pixel(width, tile.height() + text_height(1) + 4, WHITE);
    image::imageops::replace(&mut out, &tile, 0, 0);
    draw_text(&mut out, 0, tile.height() + 3, caption, 1, MUTED);
    out
}

/// One map of `w`×`h` values scaled to its own range, enlarged to about `target` px.
fn heat_tile(values: &[f32], (w, h): (usize, usize), target: u32) -> RgbImage {
    let scale = upscale_for(w.max(h), target);
    let (lo, hi) = range(values);
    let mut tile = RgbImage::new(w as u32 * scale, h as u32 * scale);
    draw_cells(&mut tile, (0, 0), (w, h), scale, values, |v| {
        viridis((v - lo) / (hi - lo))
    });
    tile
}

/// Rows of `columns` pictures.
fn grid(tiles: Vec<RgbImage>, columns: usize) -> RgbImage {
    let rows: Vec<RgbImage> = tiles
        .chunks(columns.max(1))
        .map(|row| side_by_side(row, GAP))
        .collect();
    let mut page = Page::new();
    for row in rows {
        page.image(row);
        page.gap(GAP / 2);
    }
    page.finish()
}

/// All channels of one layer's output for image `image` of the batch.
///
/// ```
/// use burn::tensor::Tensor;
/// use lenet::{Architecture, LeNetConfig};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
/// let ramp: Vec<f32> = (0..784).map(|i| i as f32 / 784.0).collect();
/// let x = Tensor::<4>::from_data(burn::tensor::TensorData::new(ramp, [1, 1, 28, 28]), &device);
/// let maps = lenet::extract_feature_maps(&model, x);
/// let picture = lenet::viz::layer_grid(maps.get("conv1").unwrap(), 0);
/// assert!(picture.width() > 6 * 28 && picture.height() > 84);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn layer_grid(map: &FeatureMap, image: usize) -> RgbImage {
    let (channels, h, w) = map.channels(image);
    let values = map.item(image);
    let (lo, hi) = min_max(values);
    let mut page = Page::new();
    page.text(
        &format!(
            "{} ({}) {}  min {:.3}  max {:.3}",
            map.name,
            map.kind.type_name(),
            shape_text(map.item_shape()),
            lo,
            hi
        ),
        2,
        INK,
    );
    if map.item_shape().len() == 3 && h * w > 1 {
        page.text(
            "each tile: one channel, scaled to its own min (dark) .. max (yellow)",
            1,
            MUTED,
        );
        let tiles = (0..channels)
            .map(|c| {
                let channel = &values[c * h * w..(c + 1) * h * w];
                let (clo, chi) = min_max(channel);
                captioned(
                    heat_tile(channel, (w, h), TILE),
                    &format!("ch {c} {clo:.2}..{chi:.2}"),
                )
            })
            .collect();
        page.image(grid(tiles, 8));
    } else {
        page.text(
            &format!(
                "{} values, {} per row, scaled to the layer's min (dark) .. max (yellow)",
                values.len(),
                VECTOR_COLUMNS
            ),
            1,
            MUTED,
        );
        page.image(vector_strip(values));
    }
    page.finish()
}

/// A vector as rows of cells scaled to its range, with the index of each row.
fn vector_strip(values: &[f32]) -> RgbImage {
    let rows = values.len().div_ceil(VECTOR_COLUMNS);
    let label_w = text_width("000", 1) + 6;
    let mut strip = RgbImage::from_pixel(
        label_w + VECTOR_COLUMNS as u32 * VECTOR_CELL,
        rows as u32 * VECTOR_CELL,
        WHITE,
    );
    let (lo, hi) = range(values);
    for (row, chunk) in values.chunks(VECTOR_COLUMNS).enumerate() {
        let y = row as u32 * VECTOR_CELL;
        draw_text(
            &mut strip,
            0,
            y + 4,
            &format!("{:>3}", row * VECTOR_COLUMNS),
            1,
            MUTED,
        );
        draw_cells(
            &mut strip,
            (label_w, y),
            (chunk.len(), 1),
            VECTOR_CELL,
            chunk,
            |v| viridis((v - lo) / (hi - lo)),
        );
    }
    strip
}

/// The tutorial's picture done right: the input, then for each convolution the
/// mean over its channels, side by side, each scaled to its own range.
pub fn conv_means(maps: &FeatureMaps, image: usize) -> RgbImage {
    let size = 168;
    let mut tiles = vec![captioned(
        grey_tile(maps.input.item(image), 28, size),
        "input [1, 28, 28]",
    )];
    for map in maps.layers.iter().filter(|m| m.kind == LayerKind::Conv2d) {
        let (c, h, w) = map.channels(image);
        let values = map.item(image);
        let mean: Vec<f32> = (0..h * w)
            .map(|p| (0..c).map(|ch| values[ch * h * w + p]).sum::<f32>() / c as f32)
            .collect();
        tiles.push(captioned(
            heat_tile(&mean, (w, h), size),
            &format!("{} mean of {c} [{h}x{w}]", map.name),
        ));
    }
    let mut page = Page::new();
    page.text(
        "mean over channels after each convolution (the tutorial's view)",
        2,
        INK,
    );
    page.image(side_by_side(&tiles, 2 * GAP));
    page.finish()
}

fn grey_tile(values: &[f32], side: usize, target: u32) -> RgbImage {
    let scale = upscale_for(side, target);
    let (lo, hi) = range(values);
    let mut tile = RgbImage::new(side as u32 * scale, side as u32 * scale);
    draw_cells(&mut tile, (0, 0), (side, side), scale, values, |v| {
        let g = ((v - lo) / (hi - lo) * 255.0).round() as u8;
        Rgb([g, g, g])
    });
    tile
}

/// The kernels of one convolution: row = output channel, column = input channel.
pub fn kernel_grid(kernels: &ConvKernels) -> RgbImage {
    let [out, inp, kh, kw] = kernels.shape;
    // Scale by the 99th percentile of |w| so one outlier does not wash out the rest.
    let mut magnitudes: Vec<f32> = kernels.weights.iter().map(|w| w.abs()).collect();
    magnitudes.sort_by(f32::total_cmp);
    let max_abs = magnitudes
        .get(magnitudes.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or(1.0)
        .max(1e-12);
    let scale = if inp > 1 { 6 } else { 16 };
    let tile_w = kw as u32 * scale;
    let tile_h = kh as u32 * scale;
    let label_w = text_width("out 00", 1) + 6;
    let mut picture = RgbImage::from_pixel(
        label_w + inp as u32 * (tile_w + 2),
        out as u32 * (tile_h + 2),
        WHITE,
    );
    for o in 0..out {
        let y = o as u32 * (tile_h + 2);
        draw_text(
            &mut picture,
            0,
            y + tile_h / 2 - 4,
            &format!("out {o:>2}"),
            1,
            MUTED,
        );
        for i in 0..inp {
            let start = (o * inp + i) * kh * kw;
            draw_cells(
                &mut picture,
                (label_w + i as u32 * (tile_w + 2), y),
                (kw, kh),
                scale,
                &kernels.weights[start..start + kh * kw],
                |w| diverging(w / max_abs),
            );
        }
    }
    let mut page = Page::new();
    page.text(
        &format!("{} kernels {}", kernels.name, shape_text(&kernels.shape)),
        2,
        INK,
    );
    page.text(
        &format!(
            "row: output channel, column: input channel; blue < 0 < red, white = 0, full colour at +-{max_abs:.3} (99th percentile of |w|)"
        ),
        1,
        MUTED,
    );
    page.image(picture);
    page.finish()
}

/// One sheet: the input, the tutorial view, and a grid per selected
/// convolution, ReLU and pooling layer, top to bottom.
pub fn overview_sheet(maps: &FeatureMaps, image: usize, title: &str) -> RgbImage {
    let mut page = Page::new();
    page.text(title, 2, INK);
    page.gap(GAP);
    page.image(conv_means(maps, image));
    for map in &maps.layers {
        if matches!(
            map.kind,
            LayerKind::Conv2d | LayerKind::Relu | LayerKind::MaxPool2d | LayerKind::AvgPool2d
        ) && map.item_shape().len() == 3
        {
            page.gap(2 * GAP);
            page.image(layer_grid(map, image));
        }
    }
    page.finish()
}
