//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

pub mod devtools;

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use lenet::data::{IdxArray, encode_idx};

/// The real MNIST directory: `$LENET_DATA_DIR`, else `../shared/data/mnist` beside
/// the crate. `None` (after printing why) when the files are not there, so tests
/// that need them skip visibly.
pub fn real_mnist_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("LENET_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"));
    let present = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    .iter()
    .all(|stem| dir.join(format!("{stem}.gz")).is_file() || dir.join(stem).is_file());
    if present {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: the real MNIST files are not in {} (set LENET_DATA_DIR)",
            dir.display()
        );
        None
    }
}

/// IDX bytes of `n` synthetic 28×28 images: image `i` is filled with `i * 10`.
pub fn images_idx(n: usize) -> Vec<u8> {
    let data = (0..n)
        .flat_map(|i| vec![(i * 10 % 256) as u8; 784])
        .collect();
    encode_idx(&IdxArray {
        dims: vec![n, 28, 28],
        data,
    })
}

/// IDX bytes of labels.
pub fn labels_idx(labels: &[u8]) -> Vec<u8> {
    encode_idx(&IdxArray {
        dims: vec![labels.len()],
        data: labels.to_vec(),
    })
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a complete synthetic MNIST directory: `n_train` and `n_test` images,
/// labels cycling 0–9, gzip-compressed.
pub fn write_synthetic_mnist(dir: &Path, n_train: usize, n_test: usize) {
    let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let files = [
        ("train-images-idx3-ubyte.gz", images_idx(n_train)),
        ("train-labels-idx1-ubyte.gz", labels_idx(&labels(n_train))),
        ("t10k-images-idx3-ubyte.gz", images_idx(n_test)),
        ("t10k-labels-idx1-ubyte.gz", labels_idx(&labels(n_test))),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), gzip(&bytes)).unwrap();
    }
}

/// Path of an example binary built by `cargo test` next to the test binary.
pub fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} not built (cargo test builds examples)",
        path.display()
    );
    path
}

/// Files in `dir` whose names start with a dot (temporary files of atomic writes).
pub fn leftover_temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect()
}

/// A PNG signature and IHDR chunk for a `w`×`h` greyscale image, with no data.
pub fn huge_png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Every backend this build compiled, opened, with its name. A GPU backend whose
/// adapter cannot be opened is skipped with a printed reason, unless
/// `LENET_REQUIRE_WGPU` is set (CI sets it, with a software Vulkan driver
/// installed), where it fails the test instead.
pub fn every_backend(test: &str) -> Vec<(lenet::DeviceChoice, burn::tensor::Device)> {
    let mut opened = Vec::new();
    for choice in lenet::DeviceChoice::compiled_backends() {
        if choice == lenet::DeviceChoice::Vulkan {
            continue; // the same adapter as `wgpu` on every machine CI has
        }
        match choice.device() {
            Ok(device) => opened.push((choice, device)),
            Err(err) if std::env::var_os("LENET_REQUIRE_WGPU").is_some() => {
                panic!("{test}: LENET_REQUIRE_WGPU is set but {choice} cannot be opened: {err}")
            }
            Err(err) => eprintln!("SKIPPED {test} on {choice}: {err}"),
        }
    }
    opened
}

/// `n` deterministic 28×28 images in [0, 1] with strokes and noise, so that every
/// ReLU and max-pool sees both signs and ties are rare.
pub fn patterned_images(n: usize) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut pixels = Vec::with_capacity(n * 784);
    for i in 0..n {
        for y in 0..28 {
            for x in 0..28 {
                let (fx, fy) = (x as f32 - 14.0, y as f32 - 14.0);
                let ring = ((fx * fx + fy * fy).sqrt() - 4.0 - i as f32 % 6.0).abs();
                let stroke = if ring < 1.5 || (x + i) % 11 == 0 {
                    0.9
                } else {
                    0.0
                };
                pixels.push((stroke + 0.1 * noise()).min(1.0));
            }
        }
    }
    pixels
}

/// Headless Chromium as this closed network needs it: no sandbox (containers), no
/// GPU, nothing fetched in the background.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium binary (`$LENET_CHROMIUM`, else the usual paths), or `None` after
/// printing why the test skips; with `LENET_REQUIRE_CHROMIUM` set (CI) a missing
/// Chromium fails the test instead.
pub fn chromium(test: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("LENET_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
        Some(PathBuf::from("/usr/bin/google-chrome")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("LENET_REQUIRE_CHROMIUM").is_none(),
            "{test}: LENET_REQUIRE_CHROMIUM is set but no Chromium was found"
        );
        eprintln!("SKIPPED {test}: no Chromium (apt install chromium, or set LENET_CHROMIUM)");
    }
    found
}

/// A photo of MNIST test digit `index`: 8× larger, dark ink on light paper,
/// off-centre in a 420×340 frame, lit unevenly, blurred, then JPEG-compressed.
#[cfg(feature = "predict")]
pub fn photo_like(test: &lenet::data::MnistSplit, index: usize) -> Vec<u8> {
    use image::{GrayImage, ImageEncoder, Luma};
    let digit = GrayImage::from_raw(28, 28, test.image(index).to_vec()).unwrap();
    let big = image::imageops::resize(&digit, 224, 224, image::imageops::FilterType::Triangle);
    let (offset_x, offset_y) = (40 + (index % 7) as u32 * 20, 30 + (index % 5) as u32 * 15);
    let frame = GrayImage::from_fn(420, 340, |x, y| {
        let ink = if x >= offset_x && y >= offset_y && x < offset_x + 224 && y < offset_y + 224 {
            big.get_pixel(x - offset_x, y - offset_y).0[0] as f32 / 255.0
        } else {
            0.0
        };
        let paper = 0.92 - 0.25 * x as f32 / 420.0 - 0.1 * y as f32 / 340.0;
        let value = paper * (1.0 - 0.85 * ink);
        Luma([(value.clamp(0.0, 1.0) * 255.0) as u8])
    });
    let blurred = image::imageops::blur(&frame, 1.5);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70)
        .write_image(blurred.as_raw(), 420, 340, image::ExtendedColorType::L8)
        .unwrap();
    jpeg
}
