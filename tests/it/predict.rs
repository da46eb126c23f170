//! Reading pictures of digits: MNIST saved as PNG reads exactly as the dataset;
//! photo-like versions (enlarged, dark on light, off-centre, unevenly lit,
//! blurred, JPEG) read nearly as well; bad files are clear errors.

use crate::support;

use std::path::Path;
use std::sync::OnceLock;

use image::{DynamicImage, GrayImage, Luma};
use lenet::data::{Mnist, MnistBatcher, Normalization};
use lenet::predict::{
    PictureError, Polarity, Prediction, PreparedDigit, Preprocess, Views, evaluate_with_views,
    predict_batch, prepare_image, prepare_image_file, read_rate,
};
use lenet::train::Recipe;
use lenet::{Architecture, Error, LeNetConfig, SavedModel};

/// A LeNet5 trained for one epoch on real MNIST, shared by the tests here.
fn trained() -> Option<&'static (SavedModel, Mnist)> {
    static MODEL: OnceLock<Option<(SavedModel, Mnist)>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = support::real_mnist_dir("predict tests (they need a trained model)")?;
            let mnist = Mnist::load(&dir).unwrap();
            let device = lenet::device("flex").unwrap();
            let config = Recipe::Tutorial.config(Architecture::LENET5).with_epochs(1);
            let trained = support::train(&config, &mnist, &device).unwrap();
            Some((SavedModel::new(trained.model, Normalization::None), mnist))
        })
        .as_ref()
}

fn mnist_image(mnist: &Mnist, index: usize) -> GrayImage {
    GrayImage::from_raw(28, 28, mnist.test.image(index).to_vec()).unwrap()
}

fn photo_like(mnist: &Mnist, index: usize) -> Vec<u8> {
    support::photo_like(&mnist.test, index)
}

#[test]
fn an_mnist_digit_saved_as_png_reads_exactly_as_the_dataset() {
    let Some((model, mnist)) = trained() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let device = model.model.device();
    let indices: Vec<usize> = (0..40).collect();
    let mut digits = Vec::new();
    for &i in &indices {
        let path = dir.path().join(format!("{i}.png"));
        mnist_image(mnist, i).save(&path).unwrap();
        // Read once, as the dataset is (the default views are another test's).
        let once = Preprocess {
            views: None,
            ..Preprocess::default()
        };
        let digit = prepare_image_file(&path, &once).unwrap();
        assert!(!digit.inverted);
        digits.push(digit);
    }
    let from_files = predict_batch(model, &digits);
    let batch =
        MnistBatcher::new(Normalization::None).batch_from_split(&mnist.test, &indices, &device);
    let expected = batch.images.into_data().try_into_vec_as::<f32>().unwrap();
    let from_dataset: Vec<f32> = digits.iter().flat_map(|d| d.pixels.clone()).collect();
    let worst = from_dataset
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert_eq!(from_dataset.len(), expected.len());
    assert!(
        worst <= 1e-6,
        "the PNG path gives the dataset tensor (max difference {worst})"
    );
    let logits = model
        .model
        .forward(batch_tensor(&expected, &device))
        .into_data();
    let logits = logits.try_into_vec_as::<f32>().unwrap();
    for (i, p) in from_files.iter().enumerate() {
        let direct = lenet::predict::Prediction::from_logits(&logits[i * 10..i * 10 + 10]);
        assert_eq!(p.class, direct.class, "image {i}");
    }
}

/// A digit read with its views (the default) gets the average of what the
/// model says of each reading alone, also when the digits' readings take more
/// than one forward pass.
#[test]
fn a_digit_with_views_is_read_as_the_average_of_its_readings() {
    let Some((model, mnist)) = trained() else {
        return;
    };
    let digits: Vec<PreparedDigit> = (0..160)
        .map(|i| {
            let picture = DynamicImage::ImageLuma8(mnist_image(mnist, i));
            prepare_image(&picture, &Preprocess::default()).unwrap()
        })
        .collect();
    assert!(digits.iter().all(|d| d.readings() == 7));
    let together = predict_batch(model, &digits);
    assert_eq!(together.len(), digits.len());
    for (i, (digit, prediction)) in digits.iter().zip(&together).enumerate() {
        let views = Views::SHIFTS_AND_SLANTS.of(&digit.pixels);
        let alone: Vec<PreparedDigit> = std::iter::once(&digit.pixels)
            .chain(&views)
            .map(|pixels| PreparedDigit::from_pixels(pixels.clone()))
            .collect();
        let expected = Prediction::average(&predict_batch(model, &alone)).unwrap();
        assert_eq!(prediction.class, expected.class, "digit {i}");
        let worst = prediction
            .probabilities
            .iter()
            .zip(&expected.probabilities)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "digit {i}: apart by {worst}");
    }
    let read_once = Preprocess {
        views: None,
        ..Preprocess::default()
    };
    let picture = DynamicImage::ImageLuma8(mnist_image(mnist, 0));
    assert!(prepare_image(&picture, &read_once).unwrap().views.is_none());
    assert!(
        prepare_image(&picture, &Preprocess::tutorial())
            .unwrap()
            .views
            .is_none()
    );
}

/// `evaluate_with_views` on synthetic digits, in two chunks: `predict_batch`'s
/// answers over the same digits in views, the loss of their averaged
/// probabilities; an empty split counts nothing.
#[test]
fn evaluate_with_views_counts_what_predict_batch_reads() {
    let device = lenet::device("flex").unwrap();
    let mnist = support::learnable_mnist(16, 1_100);
    let network = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 1);
    let model = SavedModel::new(network, Normalization::MNIST);
    let views = Views::SHIFTS_AND_SLANTS;
    let evaluation = evaluate_with_views(&model, &mnist.test, views);
    let digits: Vec<PreparedDigit> = (0..mnist.test.len())
        .map(|i| PreparedDigit::from_mnist(mnist.test.image(i)).with_views(views))
        .collect();
    let predictions = predict_batch(&model, &digits);
    let labels = mnist.test.labels();
    let classes: Vec<u8> = predictions.iter().map(|p| p.class as u8).collect();
    assert_eq!(evaluation.predictions, classes);
    let correct = classes.iter().zip(labels).filter(|(c, l)| c == l).count();
    assert_eq!((evaluation.count, evaluation.correct), (1_100, correct));
    let loss = predictions
        .iter()
        .zip(labels)
        .map(|(p, &label)| -f64::from(p.probabilities[usize::from(label)]).ln())
        .sum::<f64>()
        / 1_100.0;
    assert!(
        (evaluation.loss - loss).abs() < 1e-4,
        "{} against {loss}",
        evaluation.loss
    );
    let mut empty = mnist.test.clone();
    empty.truncate(0);
    let none = evaluate_with_views(&model, &empty, views);
    assert_eq!((none.count, none.correct), (0, 0));
}

/// `evaluate --views`: the test set read as `predict` reads each image saved as
/// a picture, over more images than one chunk holds.
#[test]
fn the_test_set_read_with_views_gives_predict_s_answers() {
    let Some((model, mnist)) = trained() else {
        return;
    };
    let mut split = mnist.test.clone();
    split.truncate(1_200);
    let evaluation = evaluate_with_views(model, &split, Views::SHIFTS_AND_SLANTS);
    let digits: Vec<PreparedDigit> = (0..split.len())
        .map(|i| {
            let picture = DynamicImage::ImageLuma8(mnist_image(mnist, i));
            prepare_image(&picture, &Preprocess::default()).unwrap()
        })
        .collect();
    let classes: Vec<u8> = predict_batch(model, &digits)
        .iter()
        .map(|p| p.class as u8)
        .collect();
    assert_eq!(evaluation.predictions, classes);
    let correct = classes
        .iter()
        .zip(split.labels())
        .filter(|(c, l)| c == l)
        .count();
    assert_eq!((evaluation.count, evaluation.correct), (1_200, correct));
    assert!(evaluation.loss.is_finite() && evaluation.loss > 0.0);
    let once = lenet::evaluate(&model.model, &split, model.normalization, 1000);
    assert!(
        (evaluation.accuracy - once.accuracy).abs() < 0.02,
        "{} against {} read once",
        evaluation.accuracy,
        once.accuracy
    );
}

fn batch_tensor(values: &[f32], device: &burn::tensor::Device) -> burn::tensor::Tensor<4> {
    let n = values.len() / 784;
    burn::tensor::Tensor::from_data(
        burn::tensor::TensorData::new(values.to_vec(), [n, 1, 28, 28]),
        device,
    )
}

#[test]
fn photo_like_digits_read_nearly_as_well_as_the_originals() {
    let Some((model, mnist)) = trained() else {
        return;
    };
    let n = 300;
    let originals: Vec<_> = (0..n)
        .map(|i| {
            prepare_image(
                &DynamicImage::ImageLuma8(mnist_image(mnist, i)),
                &Preprocess::default(),
            )
            .unwrap()
        })
        .collect();
    let photos: Vec<_> = (0..n)
        .map(|i| {
            let decoded = lenet::predict::decode(&photo_like(mnist, i)).unwrap();
            let digit = prepare_image(&decoded, &Preprocess::default()).unwrap();
            assert!(digit.inverted, "photo {i} is dark on light");
            digit
        })
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| usize::from(mnist.test.label(i))).collect();
    let rate = |digits: &[lenet::predict::PreparedDigit]| {
        read_rate(&predict_batch(model, digits), &labels)
    };
    let original_rate = rate(&originals);
    let photo_rate = rate(&photos);
    eprintln!("originals {original_rate:.3}, photo-like {photo_rate:.3}");
    assert!(original_rate > 0.9, "{original_rate}");
    assert!(
        photo_rate >= 0.95 * original_rate,
        "photos {photo_rate} vs originals {original_rate}"
    );

    // The tutorial's naive path does much worse on the same photos.
    let naive: Vec<_> = (0..n)
        .map(|i| {
            let decoded = lenet::predict::decode(&photo_like(mnist, i)).unwrap();
            prepare_image(&decoded, &Preprocess::tutorial()).unwrap()
        })
        .collect();
    let naive_rate = rate(&naive);
    eprintln!("tutorial preprocessing {naive_rate:.3}");
    assert!(
        naive_rate < photo_rate - 0.2,
        "naive {naive_rate} vs {photo_rate}"
    );
}

fn picture_error(path: &Path) -> PictureError {
    match prepare_image_file(path, &Preprocess::default()) {
        Err(Error::Picture { path: p, reason }) => {
            assert_eq!(p, path);
            reason
        }
        other => panic!(
            "expected a picture error for {}, got {other:?}",
            path.display()
        ),
    }
}

#[test]
fn bad_pictures_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    assert!(matches!(
        picture_error(&write("empty.png", b"")),
        PictureError::Empty
    ));
    assert!(matches!(
        picture_error(&write("text.png", b"this is not a picture, just text\n")),
        PictureError::NotAnImage
    ));
    let mut png = Vec::new();
    DynamicImage::ImageLuma8(GrayImage::from_pixel(64, 64, Luma([200])))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(matches!(
        picture_error(&write("truncated.png", &png[..png.len() / 2])),
        PictureError::Corrupt(_)
    ));
    assert!(matches!(
        picture_error(&write("blank.png", &png)),
        PictureError::NoInk { .. }
    ));
    let mut tiny = Vec::new();
    DynamicImage::ImageLuma8(GrayImage::new(1, 1))
        .write_to(
            &mut std::io::Cursor::new(&mut tiny),
            image::ImageFormat::Png,
        )
        .unwrap();
    assert!(matches!(
        picture_error(&write("tiny.png", &tiny)),
        PictureError::TooSmall(1, 1)
    ));
    // A PNG header claiming 20000×20000 pixels: refused before decoding.
    let huge = support::huge_png_header(20_000, 20_000);
    assert!(matches!(
        picture_error(&write("huge.png", &huge)),
        PictureError::TooLarge { .. }
    ));
    let missing = dir.path().join("missing.png");
    let err = prepare_image_file(&missing, &Preprocess::default()).unwrap_err();
    assert!(err.to_string().contains("missing.png"), "{err}");
}

/// A minimal Exif block (little-endian TIFF, one entry): the orientation tag
/// 0x0112 with `value` (1 upright, 3 upside down, 6 and 8 quarter turns).
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut exif = b"II*\0".to_vec();
    exif.extend_from_slice(&8u32.to_le_bytes()); // the first directory
    exif.extend_from_slice(&1u16.to_le_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_le_bytes());
    exif.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_le_bytes());
    exif.extend_from_slice(&value.to_le_bytes());
    exif.extend_from_slice(&[0, 0]);
    exif.extend_from_slice(&0u32.to_le_bytes()); // no next directory
    exif
}

/// `stored` encoded as PNG or JPEG (quality 95) carrying `exif`.
fn encoded_with_exif(stored: &GrayImage, format: image::ImageFormat, exif: Vec<u8>) -> Vec<u8> {
    use image::ImageEncoder;
    let mut bytes = Vec::new();
    let (w, h) = stored.dimensions();
    let pixels = stored.as_raw();
    if format == image::ImageFormat::Png {
        let mut encoder = image::codecs::png::PngEncoder::new(&mut bytes);
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(pixels, w, h, image::ExtendedColorType::L8)
            .unwrap();
    } else {
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95);
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(pixels, w, h, image::ExtendedColorType::L8)
            .unwrap();
    }
    bytes
}

#[test]
fn a_phone_photo_stored_sideways_is_read_upright() {
    use image::imageops::{rotate90, rotate180, rotate270};
    use lenet::predict::{DecodeLimits, decode, decode_with};
    // Upright, a 7-like shape: a bar along the top, a stroke down the right.
    let upright = GrayImage::from_fn(90, 60, |x, y| {
        let bar = (8..16).contains(&y) && (20..70).contains(&x);
        let stroke = (62..70).contains(&x) && (8..52).contains(&y);
        let ink = bar || stroke;
        Luma([if ink { 30 } else { 225 }])
    });
    // What a camera stores for each Exif orientation, so that turning it as
    // the tag says shows `upright`.
    let stored_as = [
        (1, upright.clone()),
        (3, rotate180(&upright)),
        (6, rotate270(&upright)),
        (8, rotate90(&upright)),
    ];
    for (tag, stored) in &stored_as {
        let png = encoded_with_exif(stored, image::ImageFormat::Png, exif_orientation(*tag));
        let read = decode(&png).unwrap().into_luma8();
        assert_eq!(
            read, upright,
            "PNG with orientation {tag} was not turned upright"
        );
        let jpeg = encoded_with_exif(stored, image::ImageFormat::Jpeg, exif_orientation(*tag));
        let read = decode(&jpeg).unwrap().into_luma8();
        assert_eq!(
            read.dimensions(),
            upright.dimensions(),
            "JPEG, orientation {tag}"
        );
        let worst = read
            .pixels()
            .zip(upright.pixels())
            .map(|(a, b)| a.0[0].abs_diff(b.0[0]))
            .max()
            .unwrap();
        assert!(
            worst < 60,
            "JPEG with orientation {tag}: off by {worst} grey levels"
        );
    }
    // The whole preparation sees the digit the user saw: the sideways photo
    // is prepared as the upright one is.
    let dir = tempfile::tempdir().unwrap();
    let sideways = dir.path().join("sideways.png");
    let (_, stored) = &stored_as[2];
    std::fs::write(
        &sideways,
        encoded_with_exif(stored, image::ImageFormat::Png, exif_orientation(6)),
    )
    .unwrap();
    let once = Preprocess {
        views: None,
        ..Preprocess::default()
    };
    let expected = prepare_image(&DynamicImage::ImageLuma8(upright.clone()), &once).unwrap();
    assert_eq!(
        prepare_image_file(&sideways, &once).unwrap().pixels,
        expected.pixels
    );
    // A quarter turn copies the pixels: the copy counts against the limits,
    // so a picture that fits only once is refused when it must be turned.
    let big = GrayImage::from_pixel(1000, 1000, Luma([200]));
    let limits = DecodeLimits {
        max_side: 4096,
        max_bytes: 1_500_000,
    };
    let as_stored = encoded_with_exif(&big, image::ImageFormat::Png, exif_orientation(1));
    assert!(decode_with(&as_stored, limits).is_ok());
    let turned = encoded_with_exif(&big, image::ImageFormat::Png, exif_orientation(6));
    assert!(
        matches!(
            decode_with(&turned, limits),
            Err(PictureError::TooLarge { .. })
        ),
        "a turn needing twice the budget was decoded"
    );
}

#[test]
fn predict_example_reads_a_directory_and_survives_bad_files() {
    let Some((model, mnist)) = trained() else {
        return;
    };
    let run_dir = tempfile::tempdir().unwrap();
    model.model.save(&run_dir.path().join("model.bpk")).unwrap();
    let pictures = tempfile::tempdir().unwrap();
    for i in 0..3 {
        std::fs::write(
            pictures.path().join(format!("photo{i}.jpg")),
            photo_like(mnist, i),
        )
        .unwrap();
    }
    // Beside the photos, as a labelled set keeps them: skipped with a note.
    std::fs::write(pictures.path().join("labels.csv"), "photo0.jpg,0\n").unwrap();
    let notes = pictures.path().join("notes.txt");
    std::fs::write(&notes, "not a picture").unwrap();
    let predict_with = |flags: &[&str], paths: &[&Path]| {
        let mut command = std::process::Command::new(support::example_bin("predict"));
        command.args([
            "--checkpoint",
            run_dir.path().join("model.bpk").to_str().unwrap(),
            "--model",
            "lenet5",
            "--json",
        ]);
        command.args(flags).args(paths).output().unwrap()
    };
    let predict = |paths: &[&Path]| predict_with(&[], paths);
    let json_lines = |out: &std::process::Output| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let out = predict(&[pictures.path()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "every photo predicted, nothing else");
    for line in &lines {
        assert_eq!(line["probabilities"].as_array().unwrap().len(), 10);
        assert_eq!(line["valid"], true);
    }
    assert!(
        stderr.contains("skipping") && stderr.contains("labels.csv"),
        "{stderr}"
    );

    // The library's answers: with the views by default, once with
    // --single-reading, the clearing as asked (on ruled paper) and the ink's
    // polarity as asked (each the way round the picture is; the wrong way
    // round, below, leaves no ink).
    let photo = pictures.path().join("photo0.jpg");
    let digit_png = run_dir.path().join("digit.png");
    mnist_image(mnist, 0).save(&digit_png).unwrap();
    let notebook = run_dir.path().join("notebook.jpg");
    let ruled = lenet::predict::lookalike(
        mnist.test.image(0),
        lenet::predict::LookalikeStyle::NotebookPhoto,
        0,
    )
    .unwrap();
    std::fs::write(&notebook, ruled).unwrap();
    let options = |change: fn(&mut Preprocess)| {
        let mut options = Preprocess::default();
        change(&mut options);
        options
    };
    let mut answers = Vec::new();
    for (flags, options, picture) in [
        (&[][..], Preprocess::default(), &photo),
        (
            &["--single-reading"][..],
            options(|o| o.views = None),
            &photo,
        ),
        (&[][..], Preprocess::default(), &notebook),
        (
            &["--keep-surroundings"][..],
            options(|o| o.clear_surroundings = false),
            &notebook,
        ),
        (
            &["--ink", "dark"][..],
            options(|o| o.polarity = Polarity::DarkInk),
            &photo,
        ),
        (&[][..], Preprocess::default(), &digit_png),
        (
            &["--ink", "light"][..],
            options(|o| o.polarity = Polarity::LightInk),
            &digit_png,
        ),
    ] {
        let out = predict_with(flags, &[picture]);
        assert_eq!(out.status.code(), Some(0), "{flags:?}");
        let line = &json_lines(&out)[0];
        let got: Vec<f32> = line["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap() as f32)
            .collect();
        let digit = prepare_image_file(picture, &options).unwrap();
        assert_eq!(line["inverted"], digit.inverted, "{flags:?}");
        let expected = lenet::predict::predict(model, &digit).probabilities;
        support::assert_close(&format!("{flags:?}"), &expected, &got, 1e-5);
        answers.push(got);
    }
    assert_ne!(answers[0], answers[1], "the views change the probabilities");
    assert_ne!(
        answers[2], answers[3],
        "the ruled lines kept change the answer"
    );
    assert_eq!(answers[0], answers[4], "the photo is dark ink, as decided");
    assert_eq!(answers[5], answers[6], "the digit is light ink, as decided");
    // Taken the wrong way round, the paper is the ink: no digit left.
    for (flag, picture, polarity) in [
        ("dark", &digit_png, Polarity::DarkInk),
        ("light", &photo, Polarity::LightInk),
    ] {
        let wrong = Preprocess {
            polarity,
            ..Preprocess::default()
        };
        assert!(matches!(
            prepare_image_file(picture, &wrong),
            Err(Error::Picture { .. })
        ));
        let out = predict_with(&["--ink", flag], &[picture]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag}: {stderr}");
        let name = picture.file_name().unwrap().to_string_lossy();
        assert!(
            stderr.contains(&*name) && stderr.contains("ink"),
            "{stderr}"
        );
    }
    let clash = predict_with(&["--single-reading", "--tutorial-preprocessing"], &[&photo]);
    assert_eq!(clash.status.code(), Some(2), "two ways to read: refused");

    // A file named on the command line is read whatever its name: a bad one fails.
    let out = predict(&[pictures.path(), &notes]);
    assert_eq!(out.status.code(), Some(1), "one bad file: exit 1");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines.iter().filter(|l| l["class"].is_number()).count(), 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.txt") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn mnist_stroke_width_is_what_the_preprocessing_aims_for() {
    let Some(dir) = support::real_mnist_dir("the MNIST stroke width") else {
        return;
    };
    let mnist = Mnist::load(&dir).unwrap();
    let mut widths: Vec<f32> = (0..mnist.train.len())
        .filter_map(|i| {
            let pixels: Vec<f32> = mnist
                .train
                .image(i)
                .iter()
                .map(|&v| v as f32 / 255.0)
                .collect();
            lenet::predict::stroke_width(&pixels)
        })
        .collect();
    assert_eq!(widths.len(), mnist.train.len(), "every digit has ink");
    widths.sort_by(f32::total_cmp);
    let at = |q: f64| widths[(q * (widths.len() - 1) as f64) as usize];
    eprintln!(
        "MNIST stroke width: p10 {:.2}, p25 {:.2}, median {:.2}, p75 {:.2}, p90 {:.2}",
        at(0.1),
        at(0.25),
        at(0.5),
        at(0.75),
        at(0.9)
    );
    let median = at(0.5);
    assert!(
        (median / lenet::predict::MNIST_STROKE_WIDTH - 1.0).abs() < 0.03,
        "median {median} vs MNIST_STROKE_WIDTH {}",
        lenet::predict::MNIST_STROKE_WIDTH
    );
}

/// MNIST test digits redrawn with a thin pen and on the canvas read nearly as
/// well as the originals, and the stroke-width step is what makes the pen
/// strokes readable.
#[cfg(feature = "tutorial")]
#[test]
fn pen_photos_and_drawings_read_well_and_the_stroke_step_helps() {
    use lenet::predict::LookalikeStyle;
    let Some((model, mnist)) = trained() else {
        return;
    };
    let rate = |style, options: &Preprocess| {
        let (rate, refused) = lookalike_rate(model, mnist, style, options, 300);
        assert_eq!(refused, 0, "{style:?}: {refused} pictures refused");
        rate
    };
    let without = Preprocess {
        stroke_width: None,
        ..Preprocess::default()
    };
    let pen = rate(LookalikeStyle::PenPhoto, &Preprocess::default());
    let pen_without = rate(LookalikeStyle::PenPhoto, &without);
    let drawing = rate(LookalikeStyle::Drawing, &Preprocess::default());
    eprintln!(
        "pen photos {pen:.3} ({pen_without:.3} without the stroke step), drawings {drawing:.3}"
    );
    assert!(
        pen >= 0.93 && drawing >= 0.88,
        "pen {pen}, drawing {drawing}"
    );
    assert!(pen > pen_without, "stroke step: {pen} vs {pen_without}");
}

/// The share of the first `n` MNIST test digits redrawn in `style` that
/// `model` reads right with `options`, a refused picture counting as misread;
/// and how many were refused.
#[cfg(feature = "tutorial")]
fn lookalike_rate(
    model: &SavedModel,
    mnist: &Mnist,
    style: lenet::predict::LookalikeStyle,
    options: &Preprocess,
    n: usize,
) -> (f64, usize) {
    use lenet::predict::{decode, lookalike};
    let (digits, labels): (Vec<_>, Vec<_>) = (0..n)
        .filter_map(|i| {
            let bytes = lookalike(mnist.test.image(i), style, i as u64).unwrap();
            let digit = prepare_image(&decode(&bytes).unwrap(), options).ok()?;
            Some((digit, mnist.test.label(i) as usize))
        })
        .unzip();
    let read = read_rate(&predict_batch(model, &digits), &labels) * digits.len() as f64;
    (read / n as f64, n - digits.len())
}

/// Ruled lines (one way or both: squared paper), the desk beyond a note's
/// edge and marks away from the digit are cleared before the crop; a note on
/// a desk is read dark ink on light paper although the desk is most of the
/// picture.
#[cfg(feature = "tutorial")]
#[test]
fn ruled_paper_and_the_desk_are_cleared_before_the_digit_is_read() {
    use lenet::predict::LookalikeStyle;
    let Some((model, mnist)) = trained() else {
        return;
    };
    let rate = |style, clear_surroundings| {
        let options = Preprocess {
            clear_surroundings,
            ..Preprocess::default()
        };
        lookalike_rate(model, mnist, style, &options, 200).0
    };
    let notebook = rate(LookalikeStyle::NotebookPhoto, true);
    let notebook_without = rate(LookalikeStyle::NotebookPhoto, false);
    let desk = rate(LookalikeStyle::DeskPhoto, true);
    let desk_without = rate(LookalikeStyle::DeskPhoto, false);
    let grid = rate(LookalikeStyle::GridPhoto, true);
    let grid_without = rate(LookalikeStyle::GridPhoto, false);
    let plain = rate(LookalikeStyle::Photo, true);
    let plain_without = rate(LookalikeStyle::Photo, false);
    eprintln!(
        "notebook {notebook:.3} ({notebook_without:.3} without clearing), \
         desk {desk:.3} ({desk_without:.3}), squared paper {grid:.3} ({grid_without:.3}), \
         plain photo {plain:.3} ({plain_without:.3})"
    );
    assert!(
        notebook >= 0.9 && desk >= 0.9 && grid >= 0.9,
        "notebook {notebook}, desk {desk}, squared paper {grid}"
    );
    assert!(
        // Since step 4 keeps a shadow's edge sharp (its grey-level opening),
        // a desk wider than the blur's window is partly gone without the
        // clearing too: 0.14 → 0.38 of the desk photos read without it.
        notebook_without < notebook - 0.4 && desk_without < desk - 0.5 && grid_without < grid - 0.2,
        "the clearing hardly helps: notebook {notebook_without} → {notebook}, \
         desk {desk_without} → {desk}, squared paper {grid_without} → {grid}"
    );
    // A photo with nothing around the digit loses nothing to the clearing.
    assert!(
        plain >= plain_without - 0.01,
        "plain photo {plain_without} → {plain}"
    );
}
