//! The comparison's charts: training curves with seed bands, confusion heat maps
//! and accuracy against parameters. Each is drawn once through plotters' generic
//! backend, so the PNG and the SVG of a chart are the same drawing.

use image::RgbImage;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plots::{FONT, SERIES_COLOURS, legend_line, plot_error, register_font};
use crate::Result;
use crate::train::History;

/// A chart that can be drawn on any plotters backend.
pub trait Chart {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the chart on `root` (already white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;

    /// The chart as a picture.
    fn to_png(&self) -> Result<RgbImage> {
        register_font();
        let (width, height) = self.size();
        let mut buffer = vec![255u8; (width * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            self.draw(&root)?;
            root.present().map_err(plot_error)?;
        }
        Ok(RgbImage::from_raw(width, height, buffer).expect("buffer has the picture's size"))
    }

    /// The chart as an SVG document (text drawn as SVG text, so it stays sharp).
    fn to_svg(&self) -> Result<String> {
        register_font();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            self.draw(&root)?;
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }
}

/// Several runs of one model (one per seed), drawn as a mean line inside a
/// min–max band.
#[derive(Debug, Clone)]
pub struct RunGroup {
    /// Legend label, e.g. the model's title.
    pub label: String,
    /// One history per seed.
    pub runs: Vec<History>,
}

impl RunGroup {
    /// Per epoch: (mean, min, max) of `metric` over the runs that reached it.
    fn band(&self, metric: fn(&crate::train::EpochRecord) -> f64) -> Vec<(usize, f64, f64, f64)> {
        let epochs = self.runs.iter().map(|r| r.epochs.len()).max().unwrap_or(0);
        (0..epochs)
            .filter_map(|e| {
                let values: Vec<f64> = self
                    .runs
                    .iter()
                    .filter_map(|r| r.epochs.get(e).map(metric))
                    .collect();
                (!values.is_empty()).then(|| {
                    let mean = values.iter().sum::<f64>() / values.len() as f64;
                    let lo = values.iter().cloned().fold(f64::MAX, f64::min);
                    let hi = values.iter().cloned().fold(f64::MIN, f64::max);
                    (e + 1, mean, lo, hi)
                })
            })
            .collect()
    }
}

/// Loss (left) and accuracy (right) per epoch, train dashed and test solid, one
/// colour per model, seeds as a shaded band around their mean.
///
/// ```
/// use lenet::train::{EpochRecord, History};
/// use lenet::viz::{Chart, RunGroup, TrainingCurves};
///
/// let record = |epoch, acc| EpochRecord {
///     epoch, train_loss: 0.3 / epoch as f64, train_accuracy: acc, test_loss: 0.2,
///     test_accuracy: acc, learning_rate: 1e-3, train_seconds: 1.0, samples_per_sec: 1.0,
///     eval_seconds: 0.1, device_reads: 10,
/// };
/// let runs = vec![History { epochs: vec![record(1, 0.9), record(2, 0.95)] }];
/// let chart = TrainingCurves { groups: vec![RunGroup { label: "LeNet5".into(), runs }] };
/// assert!(chart.to_svg()?.contains("<svg"));
/// assert_eq!(chart.to_png()?.dimensions(), chart.size());
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TrainingCurves {
    /// One group per model.
    pub groups: Vec<RunGroup>,
}

type Metric = fn(&crate::train::EpochRecord) -> f64;

impl TrainingCurves {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        title: &str,
        y_label: &str,
        (train, test): (Metric, Metric),
        scale: f64,
        legend_at: SeriesLabelPosition,
    ) -> Result<()> {
        let bands: Vec<_> = self
            .groups
            .iter()
            .map(|g| (g.band(train), g.band(test)))
            .collect();
        let epochs = bands.iter().map(|(t, _)| t.len()).max().unwrap_or(1).max(1);
        let values = bands
            .iter()
            .flat_map(|(a, b)| a.iter().chain(b))
            .flat_map(|&(_, _, lo, hi)| [lo * scale, hi * scale])
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.08).max(1e-6);
        let x_range = if epochs == 1 {
            0.5..1.5
        } else {
            1.0..epochs as f64
        };
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, (lo - pad)..(hi + pad))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(y_label)
            .x_labels(epochs.min(10) + 1)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        for (i, (group, (train_band, test_band))) in self.groups.iter().zip(&bands).enumerate() {
            let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
            for (band, dashed) in [(train_band, true), (test_band, false)] {
                if group.runs.len() > 1 {
                    let mut outline: Vec<(f64, f64)> = band
                        .iter()
                        .map(|&(e, _, _, hi)| (e as f64, hi * scale))
                        .collect();
                    outline.extend(
                        band.iter()
                            .rev()
                            .map(|&(e, _, lo, _)| (e as f64, lo * scale)),
                    );
                    chart
                        .draw_series(std::iter::once(Polygon::new(outline, colour.mix(0.18))))
                        .map_err(plot_error)?;
                }
                let points: Vec<(f64, f64)> = band
                    .iter()
                    .map(|&(e, mean, _, _)| (e as f64, mean * scale))
                    .collect();
                let style = colour.stroke_width(if dashed { 1 } else { 3 });
                let series = if dashed {
                    chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))
                } else {
                    chart.draw_series(LineSeries::new(points.clone(), style))
                }
                .map_err(plot_error)?;
                let which = if dashed { "train" } else { "test" };
                let width = if dashed { 1 } else { 3 };
                series
                    .label(format!("{} ({which})", group.label))
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(width))
                    });
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                    .map_err(plot_error)?;
            }
        }
        chart
            .configure_series_labels()
            .position(legend_at)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)
    }
}

impl Chart for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        (1200, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (left, right) = root.split_horizontally(600);
        self.panel(
            &left,
            "Loss per epoch (train: the loss minimised)",
            "loss",
            (|r| r.train_loss, |r| r.test_loss),
            1.0,
            SeriesLabelPosition::UpperRight,
        )?;
        self.panel(
            &right,
            "Accuracy per epoch",
            "accuracy (%)",
            (|r| r.train_accuracy, |r| r.test_accuracy),
            100.0,
            SeriesLabelPosition::LowerRight,
        )
    }
}

/// A confusion matrix as a heat map: rows are the true digits, columns the
/// predictions; cells are shaded by the share of the row (square-root scale, so
/// a handful of mistakes is visible next to a thousand hits) and show the count.
///
/// ```
/// use lenet::viz::{Chart, ConfusionHeatmap};
///
/// let mut confusion = vec![vec![0usize; 10]; 10];
/// (0..10).for_each(|d| confusion[d][d] = 100);
/// confusion[4][9] = 7;
/// let chart = ConfusionHeatmap { title: "LeNet5".into(), confusion };
/// let svg = chart.to_svg()?;
/// let labels: Vec<&str> = svg.split("</text>").filter_map(|t| t.rsplit('>').next()).map(str::trim).collect();
/// assert!(labels.contains(&"7"), "the off-diagonal count is written in its cell");
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConfusionHeatmap {
    /// Caption.
    pub title: String,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

impl Chart for ConfusionHeatmap {
    fn size(&self) -> (u32, u32) {
        (560, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let n = self.confusion.len();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..n as f64, 0.0..n as f64)
            .map_err(plot_error)?;
        // Axis ticks would sit on cell edges; the digits are written at cell centres below.
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("predicted")
            .y_desc("true digit")
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new())
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        let centred = |colour: &RGBColor| {
            (FONT, 14)
                .into_font()
                .color(colour)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ))
        };
        for digit in 0..n {
            let (x, y) = chart.backend_coord(&(digit as f64 + 0.5, 0.0));
            root.draw(&Text::new(digit.to_string(), (x, y + 14), centred(&BLACK)))
                .map_err(plot_error)?;
            let (x, y) = chart.backend_coord(&(0.0, (n - 1 - digit) as f64 + 0.5));
            root.draw(&Text::new(digit.to_string(), (x - 14, y), centred(&BLACK)))
                .map_err(plot_error)?;
        }
        let cell = |x: usize, y: usize| (x as f64, y as f64);
        for (truth, counts) in self.confusion.iter().enumerate() {
            let total = counts.iter().sum::<usize>().max(1) as f64;
            for (predicted, &count) in counts.iter().enumerate() {
                let share = (count as f64 / total).sqrt();
                let colour = if truth == predicted {
                    RGBColor(
                        (255.0 - 200.0 * share) as u8,
                        (255.0 - 120.0 * share) as u8,
                        (255.0 - 40.0 * share) as u8,
                    )
                } else {
                    RGBColor(
                        255,
                        (255.0 - 255.0 * share) as u8,
                        (255.0 - 255.0 * share) as u8,
                    )
                };
                let y = n - 1 - truth;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [cell(predicted, y), cell(predicted + 1, y + 1)],
                        colour.filled(),
                    )))
                    .map_err(plot_error)?;
                if count > 0 {
                    let text_colour = if share > 0.6 { WHITE } else { BLACK };
                    let style = centred(&text_colour);
                    let top_left = chart.backend_coord(&cell(predicted, y + 1));
                    let bottom_right = chart.backend_coord(&cell(predicted + 1, y));
                    let at = (
                        (top_left.0 + bottom_right.0) / 2,
                        (top_left.1 + bottom_right.1) / 2,
                    );
                    root.draw(&Text::new(count.to_string(), at, style))
                        .map_err(plot_error)?;
                }
            }
        }
        Ok(())
    }
}

/// Test accuracy (mean ± sd over seeds) against what a model costs (parameters
/// or multiply-adds), with the Pareto front joined by a line. Up to six models are
/// named in a legend; more (a sweep) are numbered in the order of `points`.
///
/// ```
/// use lenet::viz::{AccuracyPoint, AccuracyVsCost, Chart};
///
/// let chart = AccuracyVsCost {
///     cost: "parameters".into(),
///     points: vec![
///         AccuracyPoint { label: "LeNet5".into(), cost: 61_706, mean: 0.988, sd: 0.003, pareto: false },
///         AccuracyPoint { label: "extra conv".into(), cost: 30_378, mean: 0.988, sd: 0.001, pareto: true },
///     ],
/// };
/// assert!(chart.to_svg()?.contains("LeNet5"));
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AccuracyVsCost {
    /// What the x axis counts, e.g. `parameters`.
    pub cost: String,
    /// One point per model.
    pub points: Vec<AccuracyPoint>,
}

/// One model in [`AccuracyVsCost`].
#[derive(Debug, Clone)]
pub struct AccuracyPoint {
    /// The model's title.
    pub label: String,
    /// Its cost (parameters, multiply-adds).
    pub cost: u64,
    /// Mean test accuracy, 0..1.
    pub mean: f64,
    /// Standard deviation over seeds, 0..1.
    pub sd: f64,
    /// Whether it is on the Pareto front (no model as accurate for less).
    pub pareto: bool,
}

/// Above this many models the chart numbers its points (1 = the table's first
/// row) instead of naming them in a legend that would cover it.
const MAX_LEGEND_ENTRIES: usize = 6;

/// The Pareto front's line: behind the points, not a model's colour.
const FRONT_GREY: RGBColor = RGBColor(140, 140, 140);

impl Chart for AccuracyVsCost {
    fn size(&self) -> (u32, u32) {
        (760, 500)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for p in &self.points {
            lo = lo.min(100.0 * (p.mean - p.sd));
            hi = hi.max(100.0 * (p.mean + p.sd));
        }
        if lo > hi {
            (lo, hi) = (0.0, 100.0);
        }
        let pad = ((hi - lo) * 0.25).max(0.05);
        let min_cost = self.points.iter().map(|p| p.cost).min().unwrap_or(1).max(1) as f64;
        let max_cost = self
            .points
            .iter()
            .map(|p| p.cost)
            .max()
            .unwrap_or(10)
            .max(1) as f64;
        let caption = format!("Test accuracy against {}", self.cost);
        let mut chart = ChartBuilder::on(root)
            .caption(caption, (FONT, 22))
            .margin(18)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(
                ((min_cost / 1.6)..(max_cost * 1.6)).log_scale(),
                (lo - pad)..(hi + pad),
            )
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(format!("{} (log scale)", self.cost))
            .y_desc("test accuracy (%), mean ± sd")
            .x_label_formatter(&|x| {
                if *x >= 1e6 {
                    format!("{:.1}M", x / 1e6)
                } else {
                    format!("{:.0}k", x / 1000.0)
                }
            })
            .y_label_formatter(&|y| format!("{y:.2}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        let mut front: Vec<(f64, f64)> = self
            .points
            .iter()
            .filter(|p| p.pareto)
            .map(|p| (p.cost as f64, 100.0 * p.mean))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        let front_drawn = front.len() > 1;
        if front_drawn {
            chart
                .draw_series(LineSeries::new(front, FRONT_GREY.stroke_width(2)))
                .map_err(plot_error)?
                .label("Pareto front")
                .legend(move |at| legend_line(at, FRONT_GREY));
        }
        // A legend names a few models; a sweep's points carry their row number instead.
        let numbered = self.points.len() > MAX_LEGEND_ENTRIES;
        for (i, p) in self.points.iter().enumerate() {
            let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
            let x = p.cost as f64;
            let (mean, sd) = (100.0 * p.mean, 100.0 * p.sd);
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    x,
                    mean - sd,
                    mean,
                    mean + sd,
                    colour.stroke_width(2),
                    12,
                )))
                .map_err(plot_error)?;
            let point = chart
                .draw_series(std::iter::once(Circle::new((x, mean), 7, colour.filled())))
                .map_err(plot_error)?;
            if numbered {
                chart
                    .draw_series(std::iter::once(Text::new(
                        (i + 1).to_string(),
                        (x, mean),
                        (FONT, 13).into_font().color(&BLACK),
                    )))
                    .map_err(plot_error)?;
            } else {
                point
                    .label(format!("{}: {:.2} ± {:.2}%", p.label, mean, sd))
                    .legend(move |at| legend_line(at, colour));
            }
        }
        if numbered && !front_drawn {
            return Ok(());
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)
    }
}
