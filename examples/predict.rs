//! Predicts your own pictures of handwritten digits.
//!
//! cargo run --release --example predict -- --checkpoint runs/train_mnist/model.bpk photo.jpg more_digits/
//! cargo run --release --example predict -- --checkpoint A/model.bpk --checkpoint B/model.bpk photo.jpg
//! cargo run --release --example predict -- --checkpoint runs/train_mnist/model.bpk --labels my_digits/labels.csv my_digits/

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use lenet::predict::{
    LabelScore, Labels, Polarity, Prediction, PreparedDigit, Preprocess, predict_ensemble,
    prepare_image_file,
};
use serde_json::json;

mod common;

#[derive(Debug, Parser)]
#[command(about = "Predict pictures of handwritten digits (files or directories)")]
struct Cli {
    #[command(flatten)]
    model: common::ModelArgs,
    /// One JSON object per line instead of tables.
    #[arg(long)]
    json: bool,
    /// With --json: also give the 28×28 values in [0, 1] of the prepared digit
    /// (`input`, row-major, before its normalisation; its first reading, the
    /// others are its shifted and slanted views), to check them against another
    /// framework.
    #[arg(long, requires = "json")]
    json_input: bool,
    /// Also write each preprocessed 28×28 digit as a PNG into DIR.
    #[arg(long, value_name = "DIR")]
    save_preprocessed: Option<PathBuf>,
    /// Use the tutorial's naive preprocessing (squash, no inversion) to compare.
    #[arg(long)]
    tutorial_preprocessing: bool,
    /// Read each prepared digit once, not also shifted and slanted (its views,
    /// averaged): the model's plain answer, as `evaluate` reads the test digits.
    #[arg(long, conflicts_with = "tutorial_preprocessing")]
    single_reading: bool,
    /// Which way round the ink is: decided from each picture (auto), dark ink
    /// on light paper (dark), or light ink on a dark background (light).
    #[arg(long, value_enum, default_value_t = Ink::Auto, conflicts_with = "tutorial_preprocessing")]
    ink: Ink,
    /// Keep what lies around the digit: ruled lines, the desk beyond the
    /// paper's edge, marks away from the digit (cleared by default).
    #[arg(long, conflicts_with = "tutorial_preprocessing")]
    keep_surroundings: bool,
    /// Score the readings against FILE, a `labels.csv` (a picture's file name
    /// and its digit per line, as `lookalikes --save` writes): how many were
    /// read right, which were not (a picture that cannot be read counts as
    /// misread), and which labelled pictures were not given.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Pictures, or directories of pictures.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// `--ink`: the library's [`Polarity`].
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Ink {
    Auto,
    Dark,
    Light,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {}", common::with_hint(&error));
            ExitCode::FAILURE
        }
    }
}

/// Returns the number of pictures that could not be read.
fn run(cli: &Cli) -> lenet::Result<usize> {
    let models = cli.model.load_all()?;
    let labels = cli.labels.as_deref().map(Labels::read).transpose()?;
    if let (Some(labels), Some(model)) = (&labels, models.first()) {
        labels.check_classes(model.architecture.num_classes())?;
    }
    if let Some(dir) = &cli.save_preprocessed {
        common::create_out_dir(dir)?;
    }
    let options = if cli.tutorial_preprocessing {
        Preprocess::tutorial()
    } else {
        let default = Preprocess::default();
        Preprocess {
            polarity: match cli.ink {
                Ink::Auto => Polarity::Auto,
                Ink::Dark => Polarity::DarkInk,
                Ink::Light => Polarity::LightInk,
            },
            clear_surroundings: !cli.keep_surroundings,
            views: default.views.filter(|_| !cli.single_reading),
            ..default
        }
    };
    let files = expand(&cli.paths)?;
    if let Some(labels) = &labels {
        labels.check_pictures(&files)?;
    }
    let mut refused: Vec<PathBuf> = Vec::new();
    let mut prepared: Vec<(PathBuf, PreparedDigit)> = Vec::new();
    for path in files {
        match prepare_image_file(&path, &options) {
            Ok(digit) => prepared.push((path, digit)),
            Err(error) => {
                report_failure(cli, &path, labels.as_ref(), &error);
                refused.push(path);
            }
        }
    }
    let digits: Vec<PreparedDigit> = prepared.iter().map(|(_, d)| d.clone()).collect();
    let predictions = predict_ensemble(&models, &digits)?;
    for ((path, digit), prediction) in prepared.iter().zip(&predictions) {
        if let Some(dir) = &cli.save_preprocessed {
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            let out = dir.join(format!("{name}_28x28.png"));
            let picture = image::DynamicImage::ImageLuma8(digit.to_image()).to_rgb8();
            lenet::viz::save_png(&picture, &out)?;
        }
        if cli.json {
            let mut line = json!({
                "path": path.to_string_lossy(),
                "class": prediction.valid.then_some(prediction.class),
                "confidence": prediction.confidence(),
                "ambiguous": prediction.is_ambiguous(),
                "valid": prediction.valid,
                "probabilities": prediction.probabilities,
                "inverted": digit.inverted,
            });
            if cli.json_input {
                line["input"] = json!(digit.pixels);
            }
            println!("{}", with_label(line, labels.as_ref(), path));
        } else {
            print_table(path, digit, prediction);
        }
    }
    if let (Some(labels), Some(file)) = (&labels, &cli.labels) {
        let readings = prepared
            .iter()
            .zip(&predictions)
            .map(|((path, _), p)| (path.as_path(), p.valid.then_some(p.class)));
        let score = labels.score(readings.chain(refused.iter().map(|p| (p.as_path(), None))));
        print_score(cli, file, &score);
    }
    Ok(refused.len())
}

/// A picture's JSON line, with its `label` where the labels file has one.
fn with_label(
    mut line: serde_json::Value,
    labels: Option<&Labels>,
    path: &Path,
) -> serde_json::Value {
    if let Some(label) = labels.and_then(|l| l.of(path)) {
        line["label"] = json!(label);
    }
    line
}

/// How the pictures read against their labels: a JSON line with `--json`,
/// else the misread pictures, then the score as the last line.
fn print_score(cli: &Cli, file: &Path, score: &LabelScore) {
    if cli.json {
        let wrong: Vec<_> = score
            .wrong
            .iter()
            .map(|(path, label, read)| json!({"path": path.to_string_lossy(), "label": label, "class": read}))
            .collect();
        let line = json!({
            "labels": file.to_string_lossy(),
            "labelled": score.labelled,
            "right": score.right,
            "rate": score.rate(),
            "wrong": wrong,
            "unlabelled": score.unlabelled.len(),
            "not_given": score.not_given,
        });
        println!("{line}");
        return;
    }
    println!();
    for (path, label, read) in &score.wrong {
        match read {
            Some(class) => println!("{}: labelled {label}, read as {class}", path.display()),
            None => println!("{}: labelled {label}, not read", path.display()),
        }
    }
    if !score.unlabelled.is_empty() {
        println!("{} pictures given are not in it", score.unlabelled.len());
    }
    if let Some(first) = score.not_given.first() {
        let more = score.not_given.len() - 1;
        let rest = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        println!("labelled but not given: {first}{rest}");
    }
    println!(
        "{}: {} of {} labelled pictures read right ({:.1}%)",
        file.display(),
        score.right,
        score.labelled,
        100.0 * score.rate()
    );
}

/// Files as given, and the pictures directly inside given directories (sorted;
/// other files there, such as a `labels.csv`, are skipped with a note).
fn expand(paths: &[PathBuf]) -> lenet::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| lenet::Error::Io {
                path: path.clone(),
                source,
            })?;
            let mut inside: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            inside.sort();
            for file in inside {
                let readable = image::ImageFormat::from_path(&file)
                    .is_ok_and(|format| format.reading_enabled());
                if readable {
                    files.push(file);
                } else {
                    eprintln!("note: skipping {} (not a picture)", file.display());
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn report_failure(cli: &Cli, path: &Path, labels: Option<&Labels>, error: &lenet::Error) {
    if cli.json {
        let line = json!({"path": path.to_string_lossy(), "error": error.full_message()});
        println!("{}", with_label(line, labels, path));
    }
    eprintln!("error: {}", error.full_message());
}

fn print_table(path: &Path, digit: &PreparedDigit, prediction: &Prediction) {
    if !prediction.valid {
        println!(
            "{}: no prediction: the model's outputs are not finite numbers (did its training diverge?)",
            path.display()
        );
        return;
    }
    println!(
        "{}: {} ({:.1}%){}{}",
        path.display(),
        prediction.class,
        100.0 * prediction.confidence(),
        if prediction.is_ambiguous() {
            "  warning: low confidence, the picture is ambiguous"
        } else {
            ""
        },
        if digit.inverted {
            "  [dark ink on light: inverted]"
        } else {
            ""
        }
    );
    for (class, p) in prediction.probabilities.iter().enumerate() {
        let bar = "#".repeat((p * 40.0).round() as usize);
        let mark = if class == prediction.class { '>' } else { ' ' };
        println!("  {mark}{class} {:>6.2}% {bar}", 100.0 * p);
    }
}
