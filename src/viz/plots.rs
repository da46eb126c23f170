//! Charts drawn with plotters, with an embedded font (DejaVu Sans) so they render
//! the same on a headless machine as on a desktop.

use std::sync::Once;

use image::RgbImage;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{Error, Result};

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const SERIES_COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

pub(crate) fn register_font() {
    static FONT_ONCE: Once = Once::new();
    FONT_ONCE.call_once(|| {
        // The bytes are a valid TTF shipped by the `dejavu` crate.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The short line that stands for a series in a legend.
pub(crate) fn legend_line((x, y): (i32, i32), colour: RGBColor) -> PathElement<(i32, i32)> {
    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3))
}

pub(crate) fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("cannot draw the chart: {e}"))
}

/// Renders `draw` into a `width`×`height` picture.
fn render(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<()>,
) -> Result<RgbImage> {
    register_font();
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    Ok(RgbImage::from_raw(width, height, buffer).expect("buffer has the picture's size"))
}

fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad)..(hi + pad)
}

/// The points `(x[i], y[i])`, with each `(label, w, b)` line drawn across them.
pub fn line_fit_plot(x: &[f64], y: &[f64], lines: &[(&str, f64, f64)]) -> Result<RgbImage> {
    render((800, 560), |root| {
        let fold = |v: &[f64]| {
            v.iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)))
        };
        let (x0, x1) = fold(x);
        let (y0, y1) = fold(y);
        let mut chart = ChartBuilder::on(root)
            .caption("Data and fitted lines", (FONT, 26))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(padded(x0, x1), padded(y0, y1))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("x")
            .y_desc("y")
            .label_style((FONT, 15))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(
                x.iter()
                    .zip(y)
                    .map(|(&x, &y)| Circle::new((x, y), 3, RGBColor(90, 90, 90).filled())),
            )
            .map_err(plot_error)?
            .label("data")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, RGBColor(90, 90, 90).filled()));
        for (i, &(label, w, b)) in lines.iter().enumerate() {
            let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
            let style = colour.stroke_width(if i == 0 { 5 } else { 2 });
            chart
                .draw_series(LineSeries::new([(x0, w * x0 + b), (x1, w * x1 + b)], style))
                .map_err(plot_error)?
                .label(label.to_string())
                .legend(move |at| legend_line(at, colour));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(plot_error)
    })
}

/// Curves of a positive quantity per iteration (log scale), one per `(label, values)`.
pub fn log_curves(title: &str, y_label: &str, series: &[(&str, &[f64])]) -> Result<RgbImage> {
    render((800, 560), |root| {
        let n = series.iter().map(|s| s.1.len()).max().unwrap_or(1).max(2);
        let positive = series
            .iter()
            .flat_map(|s| s.1.iter())
            .cloned()
            .filter(|v| *v > 0.0 && v.is_finite());
        let (lo, hi) = positive.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo <= hi {
            (lo * 0.8, hi * 1.25)
        } else {
            (1e-3, 1.0)
        };
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 26))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(0..n, (lo..hi).log_scale())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("iteration")
            .y_desc(y_label)
            .label_style((FONT, 15))
            .y_label_formatter(&|v| format!("{v:.1e}"))
            .draw()
            .map_err(plot_error)?;
        for (i, (label, values)) in series.iter().enumerate() {
            let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
            let width = if i == 0 { 4 } else { 2 };
            chart
                .draw_series(LineSeries::new(
                    values
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| **v > 0.0)
                        .map(|(i, &v)| (i, v)),
                    colour.stroke_width(width),
                ))
                .map_err(plot_error)?
                .label(label.to_string())
                .legend(move |at| legend_line(at, colour));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)
    })
}

/// A cost J(w, b) (`cost`) as a heat map of log J over the plane, with the
/// descent's path on top.
pub fn cost_landscape(
    cost: impl Fn(f64, f64) -> f64,
    path: &[(f64, f64)],
    optimum: (f64, f64),
) -> Result<RgbImage> {
    render((760, 640), |root| {
        let ws = path.iter().map(|p| p.0).chain([optimum.0]);
        let bs = path.iter().map(|p| p.1).chain([optimum.1]);
        let (w0, w1) = ws.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (b0, b1) = bs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (wr, br) = (padded(w0 - 0.5, w1 + 0.5), padded(b0 - 0.5, b1 + 0.5));
        let mut chart = ChartBuilder::on(root)
            .caption("log J(w, b) and the path of gradient descent", (FONT, 24))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(wr.clone(), br.clone())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("w")
            .y_desc("b")
            .label_style((FONT, 15))
            .disable_mesh()
            .draw()
            .map_err(plot_error)?;
        let cells = 120;
        let (dw, db) = (
            (wr.end - wr.start) / cells as f64,
            (br.end - br.start) / cells as f64,
        );
        let log_cost = |w: f64, b: f64| cost(w, b).max(1e-12).ln();
        let mut grid = Vec::with_capacity(cells * cells);
        for i in 0..cells {
            for j in 0..cells {
                let (w, b) = (
                    wr.start + (i as f64 + 0.5) * dw,
                    br.start + (j as f64 + 0.5) * db,
                );
                grid.push((w, b, log_cost(w, b)));
            }
        }
        let (lo, hi) = grid
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.2), b.max(c.2)));
        chart
            .draw_series(grid.iter().map(|&(w, b, c)| {
                let t = ((c - lo) / (hi - lo).max(1e-12)) as f32;
                let rgb = super::viridis(t).0;
                Rectangle::new(
                    [(w - dw / 2.0, b - db / 2.0), (w + dw / 2.0, b + db / 2.0)],
                    RGBColor(rgb[0], rgb[1], rgb[2]).filled(),
                )
            }))
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(path.iter().cloned(), WHITE.stroke_width(2)))
            .map_err(plot_error)?;
        chart
            .draw_series(
                path.iter()
                    .step_by((path.len() / 25).max(1))
                    .map(|&p| Circle::new(p, 3, WHITE.filled())),
            )
            .map_err(plot_error)?;
        chart
            .draw_series([Cross::new(
                optimum,
                8,
                RGBColor(214, 39, 40).stroke_width(3),
            )])
            .map_err(plot_error)?;
        Ok(())
    })
}
