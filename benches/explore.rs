//! Speed of the explore app's answer: one `POST /api/explain` body (a 280×280
//! drawing as PNG) through two models — LeNet5 and the extra-conv variant — with
//! every layer's output, saliency, integrated gradients (16 steps), Grad-CAM and
//! occlusion (144 patches), then as JSON. The bar (issue #19) is 20 ms on 2 cores.
//!
//! RAYON_NUM_THREADS=2 cargo bench --bench explore

mod support;

use divan::Bencher;
use lenet::explain::{Explainer, Occlusion};
use lenet::explore::ExplainQuery;
use lenet::{Architecture, LeNetConfig};
use support::{app, drawing};

fn main() {
    lenet::train::tune_allocator();
    divan::main();
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
