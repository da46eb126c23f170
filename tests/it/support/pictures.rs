//! Pictures for tests: patterned model inputs, hostile headers, photo-like digits.

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

/// `n` patterned images (above) as a model input `[n, 1, 28, 28]` on `device`.
pub fn patterned_batch(n: usize, device: &burn::tensor::Device) -> burn::tensor::Tensor<4> {
    burn::tensor::Tensor::from_data(
        burn::tensor::TensorData::new(patterned_images(n), lenet::LeNet::input_shape(n)),
        device,
    )
}

/// A PNG signature and IHDR chunk for a `w`×`h` greyscale image, with no data.
#[cfg(all(feature = "download", feature = "predict"))]
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

#[cfg(all(feature = "download", feature = "predict"))]
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

/// A photo of MNIST test digit `index`: 8× larger, dark ink on light paper,
/// off-centre in a 420×340 frame, lit unevenly, blurred, then JPEG-compressed.
#[cfg(all(feature = "download", feature = "predict"))]
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
