//! The comparison as one HTML page: tables, charts, the digits the models
//! disagree on, what each layer of each model sees in the same digit, and the
//! user's own pictures read by every model.

use image::{DynamicImage, RgbImage};

use super::significance::PAIR_COLUMNS;
use super::{Comparison, disagreement_sheet, disagreements};
use crate::Result;
use crate::data::{MnistBatcher, MnistSplit};
use crate::explain::Explainer;
use crate::predict::{PreparedDigit, predict};
use crate::report::Report;
use crate::saved_model::SavedModel;
use crate::table::thousands;
use crate::viz::{explanation_sheet, overview_sheet};

/// What the report shows beyond the comparison itself.
#[derive(Debug, Clone, Default)]
pub struct ReportExtras<'a> {
    /// The page's title.
    pub title: String,
    /// How the models were trained (recipe, epochs, device…), shown first.
    pub settings: String,
    /// The test set, for pictures of digits.
    pub test: Option<&'a MnistSplit>,
    /// The test image whose feature maps are shown for every model.
    pub feature_digit: Option<usize>,
    /// The user's own pictures, prepared (file name, digit).
    pub user_images: Vec<(String, PreparedDigit)>,
}

/// Builds the report; save it with [`Report::save`](crate::report::Report::save).
/// One model (one run) makes a sensible report too: the sections that compare
/// are left out.
pub fn comparison_report(comparison: &Comparison, extras: &ReportExtras<'_>) -> Result<Report> {
    let mut report = Report::new(&extras.title);
    summary_section(&mut report, comparison, extras);
    if comparison.models.len() > 1 {
        pairs_section(&mut report, comparison)?;
    }
    report.section("Training curves").chart(
        &comparison.training_curves(),
        "Solid: the 10,000 test images after each epoch; dashed: the epoch's training batches. \
         Shaded: the range over seeds.",
    )?;
    f1_section(&mut report, comparison);
    confusion_section(&mut report, comparison)?;
    if let (Some(test), true) = (extras.test, comparison.models.len() > 1) {
        disagreement_section(&mut report, comparison, test)?;
    }
    if let (Some(test), Some(index)) = (extras.test, extras.feature_digit) {
        layers_section(&mut report, comparison, test, index)?;
        explanations_section(&mut report, comparison, test, index)?;
    }
    if !extras.user_images.is_empty() {
        pictures_section(&mut report, comparison, &extras.user_images)?;
    }
    Ok(report)
}

/// The models' titles, in the comparison's order.
fn titles(comparison: &Comparison) -> Vec<&str> {
    comparison
        .models
        .iter()
        .map(|m| m.architecture.title())
        .collect()
}

/// Seeds per model (of the first: every model has as many).
fn seeds(comparison: &Comparison) -> usize {
    comparison.models.first().map_or(0, |m| m.runs.len())
}

/// The settings, and one line per model: size, cost, time, accuracy.
fn summary_section(report: &mut Report, comparison: &Comparison, extras: &ReportExtras<'_>) {
    let rows = comparison.rows();
    let summary = report.section("Summary");
    if !extras.settings.is_empty() {
        summary.paragraph(&extras.settings);
    }
    summary.paragraph(&format!(
        "Test accuracy is measured on the 10,000 MNIST test images after the last epoch; \
         mean ± sample standard deviation over {} seed(s).",
        seeds(comparison)
    ));
    summary.table(
        &[
            "model",
            "params",
            "mult-adds / image",
            "weights",
            "train time / run",
            "test accuracy",
            "per seed",
        ],
        rows.iter()
            .zip(titles(comparison))
            .map(|(r, title)| {
                vec![
                    title.to_string(),
                    thousands(r.params as u64),
                    thousands(r.mult_adds),
                    format!("{:.1} kB", r.weight_bytes as f64 / 1000.0),
                    format!("{:.1} ± {:.1} s", r.train_seconds.mean, r.train_seconds.sd),
                    format!(
                        "{:.2} ± {:.2}%",
                        100.0 * r.test_accuracy.mean,
                        100.0 * r.test_accuracy.sd
                    ),
                    r.test_accuracies
                        .iter()
                        .map(|a| format!("{:.2}", 100.0 * a))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect(),
    );
}

/// Every pair's difference with its interval, p-value and verdict, and
/// accuracy against the two costs.
fn pairs_section(report: &mut Report, comparison: &Comparison) -> Result<()> {
    let pairs = report.section("Can the models be told apart?");
    pairs.paragraph(
        "For every pair: the difference of mean test accuracy (a − b, in points) with its \
         95% confidence interval and p-value. Welch's t-test over seeds measures the noise \
         that retraining one architecture makes; where a model has a single seed, McNemar's \
         exact test over the test images compares the two trained networks instead. The \
         verdict follows the p-value (for Welch's test, exactly when the interval \
         excludes 0).",
    );
    pairs.table(
        &PAIR_COLUMNS.map(|(name, _)| name),
        comparison.pairs().iter().map(|p| p.row()).collect(),
    );
    pairs.chart(
        &comparison.accuracy_vs_params(),
        "One point per model (more than six are numbered in the table's order); error \
         bars are ± one standard deviation over seeds; the line joins the Pareto front \
         (no other model is as accurate with fewer parameters).",
    )?;
    pairs.chart(
        &comparison.accuracy_vs_mult_adds(),
        "The same against multiply-adds per image: what a prediction costs.",
    )?;
    Ok(())
}

/// F1 of every digit, per model.
fn f1_section(report: &mut Report, comparison: &Comparison) {
    let rows = comparison.rows();
    let f1 = report.section("F1 per digit");
    let mut header = vec!["model".to_string()];
    let classes = rows.iter().map(|r| r.per_class_f1.len()).max().unwrap_or(0);
    header.extend((0..classes).map(|d| d.to_string()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    f1.table(
        &header,
        rows.iter()
            .zip(titles(comparison))
            .map(|(r, title)| {
                let mut row = vec![title.to_string()];
                row.extend(r.per_class_f1.iter().map(|v| format!("{v:.4}")));
                row
            })
            .collect(),
    );
}

/// Every model's confusion matrix, summed over seeds.
fn confusion_section(report: &mut Report, comparison: &Comparison) -> Result<()> {
    let confusion = report.section("Confusion matrices");
    confusion.paragraph(&format!(
        "Rows are the true digits, columns the predictions, summed over {} seed(s). \
         Off the diagonal, red marks the mistakes each model makes most.",
        seeds(comparison)
    ));
    for chart in comparison.confusion_heatmaps() {
        let caption = format!("{} confusion matrix", chart.title);
        confusion.chart(&chart, &caption)?;
    }
    Ok(())
}

/// The test images the first two models read differently.
fn disagreement_section(
    report: &mut Report,
    comparison: &Comparison,
    test: &MnistSplit,
) -> Result<()> {
    let titles = titles(comparison);
    let found = disagreements(comparison, 0, 1);
    let section = report.section("Where the models disagree");
    section.paragraph(&format!(
        "{} and {} (seed {}) predict different classes for {} of the {} test images. \
         Captions read true:{}|{}.",
        titles[0],
        titles[1],
        comparison.models[0].runs[0].trained.config.seed,
        found.len(),
        comparison.test_labels.len(),
        comparison.models[0].architecture.name(),
        comparison.models[1].architecture.name(),
    ));
    if !found.is_empty() {
        section.image(
            "digits the two models read differently",
            &disagreement_sheet(test, &found, 40),
            "The first 40 disagreements in test-set order.",
        )?;
    }
    Ok(())
}

/// Test image `index` through every layer of every model.
fn layers_section(
    report: &mut Report,
    comparison: &Comparison,
    test: &MnistSplit,
    index: usize,
) -> Result<()> {
    let section = report.section("What each layer sees");
    section.paragraph(&format!(
        "Test image #{index} (a {}) through every model: the tutorial's view (the mean over \
         each convolution's channels) first, then every channel of every convolution, ReLU \
         and pooling layer, each scaled to its own range.",
        test.label(index)
    ));
    let mut sheets = Vec::new();
    for model in &comparison.models {
        let run = &model.runs[0];
        let device = run.trained.model.device();
        let batch = MnistBatcher::new(run.trained.config.normalization).batch_from_split(
            test,
            &[index],
            &device,
        );
        let maps = crate::extract_feature_maps(&run.trained.model, batch.images);
        sheets.push((
            model.architecture.title(),
            overview_sheet(&maps, 0, model.architecture.title()),
        ));
    }
    let items: Vec<(&str, &RgbImage, &str)> = sheets.iter().map(|(t, s)| (*t, s, *t)).collect();
    section.images_side_by_side(&items)?;
    Ok(())
}

/// The user's own pictures, as the models see them and read them.
fn pictures_section(
    report: &mut Report,
    comparison: &Comparison,
    user_images: &[(String, PreparedDigit)],
) -> Result<()> {
    let section = report.section("Your pictures");
    section.paragraph(
        "Each picture as the models see it (after preprocessing), and what every model reads.",
    );
    let mut header = vec!["picture".to_string()];
    header.extend(titles(comparison).iter().map(|t| t.to_string()));
    let mut rows = Vec::new();
    let mut pictures = Vec::new();
    for (name, digit) in user_images {
        let mut row = vec![name.clone()];
        for model in &comparison.models {
            let run = &model.runs[0];
            let saved =
                SavedModel::new(run.trained.model.clone(), run.trained.config.normalization);
            let p = predict(&saved, digit);
            let flag = if p.is_ambiguous() { " (unsure)" } else { "" };
            row.push(format!(
                "{} — {:.1}%{flag}",
                p.class,
                100.0 * p.confidence()
            ));
        }
        rows.push(row);
        let big = image::imageops::resize(
            &DynamicImage::ImageLuma8(digit.to_image()).to_rgb8(),
            112,
            112,
            image::imageops::FilterType::Nearest,
        );
        pictures.push((name.clone(), big));
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    section.table(&header, rows);
    let items: Vec<(&str, &RgbImage, &str)> = pictures
        .iter()
        .map(|(n, p)| (n.as_str(), p, n.as_str()))
        .collect();
    section.images_side_by_side(&items)?;
    Ok(())
}

/// Why each model reads test image `index` as it does: saliency, integrated
/// gradients, Grad-CAM on its last convolution and occlusion, over the digit.
fn explanations_section(
    report: &mut Report,
    comparison: &Comparison,
    test: &MnistSplit,
    index: usize,
) -> Result<()> {
    let section = report.section("Why each model reads it so");
    section.paragraph(&format!(
        "The same test image #{index} (a {}): which pixels raise each model's score for the \
         class it predicts (red) or lower it (blue). Saliency is the gradient's size, integrated \
         gradients add up to the score's change from a blank picture, Grad-CAM weights the last \
         convolution's channels by their mean gradient, occlusion is the fall in probability \
         when a 6×6 patch is blanked (lenet::explain).",
        test.label(index)
    ));
    let pixels: Vec<f32> = test
        .image(index)
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    let mut sheets = Vec::new();
    for model in &comparison.models {
        let trained = &model.runs[0].trained;
        let normalization = trained.config.normalization;
        let explainer = Explainer::for_normalization(&trained.model, normalization);
        let input: Vec<f32> = test
            .image(index)
            .iter()
            .map(|&p| normalization.apply(p))
            .collect();
        let class = trained.evaluation.predictions[index] as usize;
        let mut all = explainer.every_explanation(&input, class, None)?;
        all.saliency.values.iter_mut().for_each(|v| *v = v.abs());
        let mut panels = vec![
            ("saliency", &all.saliency),
            ("integrated gradients", &all.integrated_gradients),
        ];
        if let Some(cam) = &all.grad_cam {
            panels.push(("Grad-CAM", &cam.on_input));
        }
        panels.push(("occlusion", &all.occlusion));
        let title = format!("{}: reads {class}", model.architecture.title());
        sheets.push((
            model.architecture.title(),
            explanation_sheet(&pixels, &panels, &title),
        ));
    }
    let items: Vec<(&str, &RgbImage, &str)> = sheets.iter().map(|(t, s)| (*t, s, *t)).collect();
    section.images_side_by_side(&items)?;
    Ok(())
}
