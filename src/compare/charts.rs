//! The comparison's charts, built in one place for every page and file that shows
//! them (the report, `compare_models`' PNG and SVG files), so that they cannot
//! drift apart.

use super::{Comparison, ComparisonRow, Disagreement};
use crate::viz::{AccuracyPoint, AccuracyVsCost, ConfusionHeatmap, RunGroup, TrainingCurves};

impl Comparison {
    /// Every run's per-epoch curves, grouped by model (shaded: the range over seeds).
    ///
    /// ```
    /// # use lenet::compare::Comparison;
    /// use lenet::viz::Chart;
    /// # fn show(comparison: &Comparison) -> lenet::Result<()> {
    /// let svg = comparison.training_curves().to_svg()?;
    /// # Ok(()) }
    /// ```
    pub fn training_curves(&self) -> TrainingCurves {
        TrainingCurves {
            groups: self
                .models
                .iter()
                .map(|m| RunGroup {
                    label: m.architecture.title().to_string(),
                    runs: m.runs.iter().map(|r| r.trained.history.clone()).collect(),
                })
                .collect(),
        }
    }

    /// Test accuracy (mean ± sd over seeds) against parameter count, a point per
    /// model, the Pareto front marked.
    ///
    /// ```
    /// # use lenet::compare::Comparison;
    /// # fn show(comparison: &Comparison) {
    /// for point in comparison.accuracy_vs_params().points {
    ///     println!("{}: {} params, {:.2}%", point.label, point.cost, 100.0 * point.mean);
    /// }
    /// # }
    /// ```
    pub fn accuracy_vs_params(&self) -> AccuracyVsCost {
        self.accuracy_vs("parameters", |r| (r.params as u64, r.pareto_params))
    }

    /// Test accuracy against multiply-adds per image, the Pareto front marked.
    pub fn accuracy_vs_mult_adds(&self) -> AccuracyVsCost {
        self.accuracy_vs("multiply-adds per image", |r| {
            (r.mult_adds, r.pareto_mult_adds)
        })
    }

    fn accuracy_vs(
        &self,
        cost: &str,
        of: impl Fn(&ComparisonRow) -> (u64, bool),
    ) -> AccuracyVsCost {
        AccuracyVsCost {
            cost: cost.to_string(),
            points: self
                .rows()
                .iter()
                .zip(&self.models)
                .map(|(row, m)| {
                    let (cost, pareto) = of(row);
                    AccuracyPoint {
                        label: m.architecture.title().to_string(),
                        cost,
                        mean: row.test_accuracy.mean,
                        sd: row.test_accuracy.sd,
                        pareto,
                    }
                })
                .collect(),
        }
    }

    /// One confusion matrix per model, summed over its seeds (every seed's 10,000
    /// test images), so that a picture shows what the table's mean describes.
    ///
    /// ```
    /// # use lenet::compare::Comparison;
    /// # fn show(comparison: &Comparison) {
    /// for heatmap in comparison.confusion_heatmaps() {
    ///     let total: usize = heatmap.confusion.iter().flatten().sum();
    ///     println!("{}: {total} predictions", heatmap.title);
    /// }
    /// # }
    /// ```
    pub fn confusion_heatmaps(&self) -> Vec<ConfusionHeatmap> {
        self.models
            .iter()
            .map(|model| {
                let classes = model
                    .runs
                    .iter()
                    .map(|r| r.trained.evaluation.confusion.len())
                    .max()
                    .unwrap_or(0);
                let mut sum = vec![vec![0usize; classes]; classes];
                for run in &model.runs {
                    for (row, counts) in sum.iter_mut().zip(&run.trained.evaluation.confusion) {
                        row.iter_mut().zip(counts).for_each(|(s, c)| *s += c);
                    }
                }
                let seeds = model.runs.len();
                ConfusionHeatmap {
                    title: format!(
                        "{} ({seeds} seed{})",
                        model.architecture.title(),
                        if seeds == 1 { "" } else { "s" }
                    ),
                    confusion: sum,
                }
            })
            .collect()
    }
}

/// Up to `max` of `items` as a sheet of digits captioned `true:first|second`.
pub fn disagreement_sheet(
    test: &crate::data::MnistSplit,
    items: &[super::Disagreement],
    max: usize,
) -> image::RgbImage {
    let shown: Vec<&Disagreement> = items.iter().take(max).collect();
    let images: Vec<&[u8]> = shown.iter().map(|d| test.image(d.index)).collect();
    let captions: Vec<String> = shown
        .iter()
        .map(|d| format!("{}:{}|{}", d.label, d.first, d.second))
        .collect();
    crate::viz::digit_grid(&images, &captions, 10, 4)
}
