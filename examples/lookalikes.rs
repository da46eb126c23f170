//! How well a checkpoint reads MNIST test digits redrawn as users' pictures:
//! photographed pen, pencil and marker (on plain, ruled, squared or dotted paper,
//! the desk sometimes in the picture, a box printed around the digit, a shadow
//! across the paper, a dim exposure), and the explore page's canvas.
//!
//! cargo run --release --example lookalikes -- --checkpoint runs/improved/model.bpk --data-dir ../shared/data/mnist
//! cargo run --release --example lookalikes -- --checkpoint A.bpk --count 200 --save lookalikes/
//! cargo run --release --example lookalikes -- --checkpoint s0/model.bpk --checkpoint s1/model.bpk --checkpoint s2/model.bpk
//!
//! Beside the MNIST writers' digits, the same styles are applied to printed
//! digits (0–9 in 17 DejaVu faces, laid out like MNIST by the crate's own
//! preprocessing): shapes no MNIST writer made — a 1 with a flag and a foot, a 4
//! with a closed top — so a recipe that generalises beyond MNIST's writers shows.
//!
//! The first row is the MNIST test digits themselves (all of them, as 28×28
//! PNGs). Each style is read five ways: the crate's preprocessing (with its shifted and
//! slanted views, `lenet::predict::Views`), the same read once (no views), the
//! same without its stroke-width step, the same without its clearing of ruled
//! lines, desk and marks away from the digit (`Preprocess::clear_surroundings`),
//! and the tutorial's. `--save DIR` also writes the
//! pictures with a `labels.csv` per style, for `predict` and for looking at.
//!
//! With several checkpoints (models trained with other seeds, say) each cell is
//! their mean ± standard deviation, and their ensemble's rate (probabilities
//! averaged, as `predict` does with several checkpoints).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use lenet::data::Split;
use lenet::predict::{
    LookalikeStyle, MAX_FRAME_SCALE, PHOTO_SIZE, Polarity, Prediction, PreparedDigit, Preprocess,
    decode, ensemble, lookalike_in_larger_frame, predict_batch, prepare_image,
};
use rayon::prelude::*;
use serde_json::json;

mod common;

#[derive(Debug, Parser)]
#[command(about = "Read MNIST test digits redrawn as photos and drawings")]
struct Cli {
    #[command(flatten)]
    model: common::ModelArgs,
    #[command(flatten)]
    data: common::DataArgs,
    /// Test digits per style (the first N of the 10,000, spread over all ten classes).
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Seed of the styles' random settings.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Photos K times wider and taller around a digit of the same size (1 to 8): a
    /// digit written small on a phone photo (4: 2560×1920).
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=MAX_FRAME_SCALE as i64))]
    frame_scale: u32,
    /// Also write the pictures into DIR/<style>/ (DIR/printed-<style>/) with a labels.csv each.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// One JSON object per style instead of a table.
    #[arg(long)]
    json: bool,
    /// Also read digits written in the handwriting fonts (.ttf, .otf) found in DIR
    /// and below — shapes by other hands than MNIST's writers (Debian's
    /// fonts-bwht, fonts-dkg-handwriting, fonts-klee … install some).
    #[arg(long, value_name = "DIR")]
    font_dir: Vec<PathBuf>,
}

fn main() -> std::process::ExitCode {
    common::finish(run(&Cli::parse()))
}

fn run(cli: &Cli) -> lenet::Result<()> {
    common::warn_if_unoptimized();
    let models = cli.model.load_all()?;
    let recorded = cli.model.recorded_data_dir();
    let test = cli.data.load_split(Split::Test, recorded.as_deref())?;
    let count = cli.count.clamp(1, test.len());
    let ways = [
        ("crate", Preprocess::default()),
        (
            "one reading",
            Preprocess {
                views: None,
                ..Preprocess::default()
            },
        ),
        (
            "no stroke step",
            Preprocess {
                stroke_width: None,
                ..Preprocess::default()
            },
        ),
        (
            "no clearing step",
            Preprocess {
                clear_surroundings: false,
                ..Preprocess::default()
            },
        ),
        ("tutorial", Preprocess::tutorial()),
    ];
    if !cli.json {
        println!(
            "{} test digits per style, seed {}, photos {}×{}, {}",
            count,
            cli.seed,
            PHOTO_SIZE.0 * cli.frame_scale,
            PHOTO_SIZE.1 * cli.frame_scale,
            match models.len() {
                1 => "one model".to_string(),
                n => format!("{n} models: mean ± sd over them (their ensemble's rate)"),
            }
        );
        println!(
            "| style | {} |",
            ways.iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(" | ")
        );
        println!("|---|{}", "---:|".repeat(ways.len()));
    }
    // First every test digit as it is, a 28×28 PNG (which the crate's path
    // keeps as it is): what each way of reading gives on MNIST itself.
    let all: Vec<(Vec<u8>, u8)> = (0..test.len())
        .map(|i| (test.image(i).to_vec(), test.label(i)))
        .collect();
    let pngs: Vec<Vec<u8>> = all
        .par_iter()
        .map(|(digit, _)| png(digit))
        .collect::<lenet::Result<_>>()?;
    let rates: Vec<Rates> = ways
        .iter()
        .map(|(_, options)| read(&models, &pngs, &all, options, None))
        .collect::<lenet::Result<_>>()?;
    print_row(
        cli.json,
        &ways,
        "mnist test, as they are",
        all.len(),
        &rates,
    );
    let written: Vec<(Vec<u8>, u8)> = all[..count].to_vec();
    let printed = font_digits("printed", &dejavu_faces(), count)?;
    let mut sources = vec![("", written), ("printed ", printed)];
    if !cli.font_dir.is_empty() {
        let faces = handwriting_faces(&cli.font_dir)?;
        let digits = font_digits("handwriting-font", &faces, count)?;
        sources.push(("handwriting-font ", digits));
    }
    let mut clock = Clock::default();
    for (source, digits) in &sources {
        for style in LookalikeStyle::ALL {
            let name = format!("{source}{}", style.name());
            let pictures: Vec<Vec<u8>> = digits
                .par_iter()
                .enumerate()
                .map(|(index, (digit, _))| {
                    lookalike_in_larger_frame(
                        digit,
                        style,
                        cli.seed ^ index as u64,
                        cli.frame_scale,
                    )
                })
                .collect::<lenet::Result<_>>()?;
            if let Some(dir) = &cli.save {
                save(&dir.join(name.replace(' ', "-")), style, &pictures, digits)?;
            }
            let mut rates = Vec::with_capacity(ways.len());
            for (i, (_, options)) in ways.iter().enumerate() {
                // Timed: the crate's own preprocessing (the first way) alone.
                let timed = if i == 0 { Some(&mut clock) } else { None };
                rates.push(read(&models, &pictures, digits, options, timed)?);
            }
            print_row(cli.json, &ways, &name, count, &rates);
        }
    }
    let per_picture = |time: Duration| 1e3 * time.as_secs_f64() / clock.pictures.max(1) as f64;
    eprintln!(
        "per picture, with the crate's preprocessing: decoding and preparing {:.3} ms \
         (wall time, on rayon's threads), each model {:.3} ms (its readings of the picture, in \
         passes of up to 1,024 readings)",
        per_picture(clock.preparing),
        per_picture(clock.predicting) / models.len() as f64
    );
    Ok(())
}

/// One line of the table (or one JSON object): a set's rates, way by way.
fn print_row(json: bool, ways: &[(&str, Preprocess)], name: &str, count: usize, rates: &[Rates]) {
    if json {
        let by_way: serde_json::Map<_, _> = ways
            .iter()
            .zip(rates)
            .map(|((way, _), rates)| (way.to_string(), rates.to_json()))
            .collect();
        println!(
            "{}",
            json!({"style": name, "count": count, "accuracy": by_way})
        );
    } else {
        let cells: Vec<String> = rates.iter().map(|r| r.cell(count)).collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}

/// A 28×28 digit as PNG bytes.
fn png(digit: &[u8]) -> lenet::Result<Vec<u8>> {
    let picture = image::GrayImage::from_raw(28, 28, digit.to_vec()).ok_or_else(|| {
        lenet::Error::InvalidArgument(format!("a digit of {} bytes, not 784", digit.len()))
    })?;
    let mut bytes = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| lenet::Error::InvalidArgument(format!("encoding a digit as PNG: {e}")))?;
    Ok(bytes)
}

/// Wall time spent preparing pictures the crate's way and running the models on
/// them, over how many pictures.
#[derive(Default)]
struct Clock {
    preparing: Duration,
    predicting: Duration,
    pictures: usize,
}

/// One set read by each model and by their ensemble: fractions read right.
struct Rates {
    models: Vec<f64>,
    ensemble: f64,
}

impl Rates {
    fn mean_and_sd(&self) -> (f64, f64) {
        let n = self.models.len() as f64;
        let mean = self.models.iter().sum::<f64>() / n;
        let variance =
            self.models.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        (mean, variance.sqrt())
    }

    /// The cell of a set of `count` pictures: one decimal, two from 5,000
    /// pictures on (where a hundredth of a point is a picture or two).
    fn cell(&self, count: usize) -> String {
        let decimals = if count >= 5000 { 2 } else { 1 };
        let percent = |rate: f64| format!("{:.*}", decimals, 100.0 * rate);
        if self.models.len() == 1 {
            return format!("{}%", percent(self.ensemble));
        }
        let (mean, sd) = self.mean_and_sd();
        format!(
            "{} ± {}% ({}%)",
            percent(mean),
            percent(sd),
            percent(self.ensemble)
        )
    }

    fn to_json(&self) -> serde_json::Value {
        let (mean, sd) = self.mean_and_sd();
        json!({"models": self.models, "mean": mean, "sd": sd, "ensemble": self.ensemble})
    }
}

/// The fraction of `pictures` each model, and their ensemble, reads as their
/// digit's label; a picture the preprocessing refuses counts as wrong.
fn read(
    models: &[lenet::SavedModel],
    pictures: &[Vec<u8>],
    digits: &[(Vec<u8>, u8)],
    options: &Preprocess,
    clock: Option<&mut Clock>,
) -> lenet::Result<Rates> {
    let started = Instant::now();
    let (prepared, labels): (Vec<PreparedDigit>, Vec<usize>) = pictures
        .par_iter()
        .zip(digits)
        .filter_map(|(bytes, (_, label))| {
            let picture = decode(bytes).ok()?;
            Some((prepare_image(&picture, options).ok()?, usize::from(*label)))
        })
        .unzip();
    let preparing = started.elapsed();
    let started = Instant::now();
    let each: Vec<Vec<Prediction>> = models.iter().map(|m| predict_batch(m, &prepared)).collect();
    if let Some(clock) = clock {
        clock.preparing += preparing;
        clock.predicting += started.elapsed();
        clock.pictures += pictures.len();
    }
    let rate = |predictions: &[Prediction]| {
        let right = predictions
            .iter()
            .zip(&labels)
            .filter(|(p, label)| p.reads(**label));
        right.count() as f64 / pictures.len().max(1) as f64
    };
    let ensemble = ensemble(&each).ok_or_else(|| {
        lenet::Error::InvalidArgument(
            "the checkpoints give different numbers of classes: they make no ensemble".into(),
        )
    })?;
    Ok(Rates {
        models: each.iter().map(|p| rate(p)).collect(),
        ensemble: rate(&ensemble),
    })
}

/// The DejaVu faces the printed digits are drawn in.
fn dejavu_faces() -> Vec<Vec<u8>> {
    [
        dejavu::sans::regular(),
        dejavu::sans::bold(),
        dejavu::sans::oblique(),
        dejavu::sans::bold_oblique(),
        dejavu::sans::extra_light(),
        dejavu::sans_condensed::regular(),
        dejavu::sans_condensed::bold(),
        dejavu::sans_mono::regular(),
        dejavu::sans_mono::bold(),
        dejavu::sans_mono::oblique(),
        dejavu::serif::regular(),
        dejavu::serif::bold(),
        dejavu::serif::italic(),
        dejavu::serif::bold_italic(),
        dejavu::serif_condensed::regular(),
        dejavu::serif_condensed::italic(),
        dejavu::serif_condensed::bold(),
    ]
    .map(<[u8]>::to_vec)
    .into()
}

/// Every .ttf and .otf file under `dirs` that has an outline for each of the
/// ten digits, read into memory, in a fixed (sorted) order.
fn handwriting_faces(dirs: &[PathBuf]) -> lenet::Result<Vec<Vec<u8>>> {
    use ab_glyph::{Font, FontRef};
    fn font_files(dir: &std::path::Path, found: &mut Vec<PathBuf>) -> lenet::Result<()> {
        let io = |source| lenet::Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                font_files(&path, found)?;
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("ttf" | "otf")
            ) {
                found.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    for dir in dirs {
        font_files(dir, &mut paths)?;
    }
    let mut faces = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|source| lenet::Error::Io {
            path: path.clone(),
            source,
        })?;
        let has_digits = FontRef::try_from_slice(&bytes).is_ok_and(|font| {
            // A missing character maps to glyph 0 (usually a box, with an outline).
            (b'0'..=b'9').all(|d| {
                let glyph = font.glyph_id(char::from(d));
                glyph.0 != 0 && font.outline(glyph).is_some()
            })
        });
        if has_digits {
            faces.push(bytes);
        }
    }
    if faces.is_empty() {
        return Err(lenet::Error::InvalidArgument(format!(
            "no font with all ten digits under {}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(faces)
}

/// `count` digits drawn in `faces` (cycling through 0–9 and the faces), each
/// 28×28 bytes laid out like MNIST, with its label; `source` names them in errors.
fn font_digits(source: &str, faces: &[Vec<u8>], count: usize) -> lenet::Result<Vec<(Vec<u8>, u8)>> {
    use ab_glyph::{Font, FontRef, PxScale};
    let fail = |what: String| lenet::Error::InvalidArgument(format!("{source} digits: {what}"));
    let fonts: Vec<FontRef> = faces
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            FontRef::try_from_slice(bytes).map_err(|e| fail(format!("face {i}: {e}")))
        })
        .collect::<lenet::Result<_>>()?;
    (0..count)
        .map(|i| {
            let label = (i % 10) as u8;
            let face = (i / 10) % fonts.len();
            let font = &fonts[face];
            let glyph = font
                .glyph_id(char::from(b'0' + label))
                .with_scale(PxScale::from(160.0));
            let outline = font
                .outline_glyph(glyph)
                .ok_or_else(|| fail(format!("face {face} has no outline for {label}")))?;
            let bounds = outline.px_bounds();
            let (w, h) = (bounds.width() as u32 + 40, bounds.height() as u32 + 40);
            let mut picture = image::GrayImage::new(w, h);
            outline.draw(|x, y, cover| {
                picture.put_pixel(x + 20, y + 20, image::Luma([(cover * 255.0) as u8]));
            });
            let digit = prepare_image(
                &image::DynamicImage::ImageLuma8(picture),
                // A clean rendering, light on black: nothing around the glyph
                // to clear, and no polarity to guess (a bold glyph fills the
                // middle of its picture).
                &Preprocess {
                    polarity: Polarity::LightInk,
                    stroke_width: None,
                    views: None,
                    clear_surroundings: false,
                    ..Preprocess::default()
                },
            )
            .map_err(|reason| lenet::Error::Picture {
                path: format!("{source} {label} (face {face})").into(),
                reason,
            })?;
            let bytes = digit.to_image().into_raw();
            Ok((bytes, label))
        })
        .collect()
}

fn save(
    dir: &std::path::Path,
    style: LookalikeStyle,
    pictures: &[Vec<u8>],
    digits: &[(Vec<u8>, u8)],
) -> lenet::Result<()> {
    common::create_out_dir(dir)?;
    let mut labels = String::new();
    for (index, bytes) in pictures.iter().enumerate() {
        let name = format!("{index:05}.{}", style.extension());
        let path = dir.join(&name);
        lenet::atomic_file::write_atomic(&path, bytes)?;
        labels.push_str(&format!("{name},{}\n", digits[index].1));
    }
    let path = dir.join("labels.csv");
    lenet::atomic_file::write_atomic(&path, labels.as_bytes())
}
