//! Speed of the explore app's answer: one `POST /api/explain` body (a 280×280
//! drawing as PNG) through two models — LeNet5 and the extra-conv variant — with
//! every layer's output, saliency, integrated gradients (16 steps), Grad-CAM and
//! occlusion (144 patches), then as JSON. The bar (issue #19) is 20 ms on 2 cores.
//!
//! RAYON_NUM_THREADS=2 cargo bench --bench explore

use divan::Bencher;
use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use lenet::explain::{Explainer, Occlusion};
use lenet::explore::{App, ExplainQuery, NamedModel};
use lenet::{Architecture, LeNetConfig, SavedModel};

fn main() {
    lenet::train::tune_allocator();
    divan::main();
}

/// A drawn "7" on a white 280×280 canvas, as the page sends it.
fn drawing() -> Vec<u8> {
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

fn app() -> App {
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

/// The whole answer for two models, as the server computes it.
#[divan::bench]
fn explain_two_models(bencher: Bencher) {
    let (app, body) = (app(), drawing());
    bencher.bench_local(|| app.explain(&body, &ExplainQuery::default()).unwrap());
}

/// The same, serialised as the server sends it.
#[divan::bench]
fn explain_two_models_as_json(bencher: Bencher) {
    let (app, body) = (app(), drawing());
    bencher.bench_local(|| {
        let answer = app.explain(&body, &ExplainQuery::default()).unwrap();
        serde_json::to_vec(&answer).unwrap()
    });
}

/// Each explanation alone, on LeNet5.
#[divan::bench(args = ["saliency", "integrated_gradients", "grad_cam", "occlusion"])]
fn one_explanation(bencher: Bencher, which: &str) {
    let device = lenet::device("flex").unwrap();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    let explainer = Explainer::new(&model, 0.0);
    let input: Vec<f32> = (0..784).map(|i| ((i * 37) % 255) as f32 / 255.0).collect();
    bencher.bench_local(|| match which {
        "saliency" => explainer.saliency(&input, 7).unwrap(),
        "integrated_gradients" => explainer.integrated_gradients(&input, 7, 16).unwrap(),
        "grad_cam" => explainer.grad_cam(&input, "conv2", 7).unwrap().on_input,
        _ => explainer
            .occlusion(&input, 7, Occlusion::default())
            .unwrap(),
    });
}
