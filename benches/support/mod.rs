//! What the explore benchmarks share: the app they serve and the picture the
//! page sends.

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use lenet::explore::{App, NamedModel};
use lenet::{Architecture, LeNetConfig, SavedModel};

/// A drawn "7" on a white 280×280 canvas, as the page sends it.
pub fn drawing() -> Vec<u8> {
    let mut canvas = GrayImage::from_pixel(280, 280, Luma([255]));
    for y in 50..240u32 {
        for x in 40..240u32 {
            let on_bar = (50..70).contains(&y);
            let on_stem = (x as i32 - (230 - (y as i32 - 50) * 2 / 3)).abs() < 10;
            if on_bar || on_stem {
                canvas.put_pixel(x, y, Luma([0]));
            }
        }
    }
    let mut png = Vec::new();
    DynamicImage::ImageLuma8(canvas)
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    png
}

/// LeNet5 and the extra-conv variant side by side (seeded weights: what they
/// read does not change how long they take).
pub fn app() -> App {
    let device = lenet::device("flex").unwrap();
    let models = [Architecture::LENET5, Architecture::EXTRA_CONV]
        .into_iter()
        .map(|architecture| {
            let model = LeNetConfig::new(architecture.clone()).init_seeded(&device, 0);
            let saved = SavedModel::new(model, lenet::data::Normalization::MNIST);
            NamedModel::new(architecture.to_string(), saved)
        })
        .collect();
    App::new(models, None).unwrap()
}
