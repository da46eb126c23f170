//! `lenet::explain`: shapes, errors, Grad-CAM's weights against finite
//! differences, integrated gradients' completeness, and — on real MNIST — that
//! each explanation is faithful: deleting the pixels it ranks first lowers the
//! class probability faster than deleting random ink.

use crate::support::{self, device};

use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use lenet::data::Mnist;
use lenet::explain::{Explainer, Heatmap, Occlusion};
use lenet::train::Recipe;
use lenet::{Architecture, LeNet, LeNetConfig, NoTap};

/// A "7"-like stroke in [0, 1].
fn seven() -> Vec<f32> {
    let mut input = vec![0.0f32; 784];
    for x in 6..22 {
        input[6 * 28 + x] = 1.0;
        input[7 * 28 + x] = 1.0;
    }
    for y in 8..24 {
        let x = 21 - (y - 8) / 2;
        input[y * 28 + x] = 1.0;
        input[y * 28 + x - 1] = 0.8;
    }
    input
}

fn logits(model: &LeNet, images: &[f32]) -> Vec<f32> {
    let n = images.len() / 784;
    let input = Tensor::<4>::from_data(
        TensorData::new(images.to_vec(), [n, 1, 28, 28]),
        &model.device(),
    );
    model
        .forward(input)
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap()
}

#[test]
fn every_explanation_has_the_shape_of_what_it_explains() {
    let device = device();
    for architecture in [
        Architecture::LENET5,
        Architecture::EXTRA_CONV,
        Architecture::ONE_CONV,
    ] {
        let model = LeNetConfig::new(architecture.clone()).init_seeded(&device, 1);
        let explainer = Explainer::new(&model, 0.0);
        let input = seven();
        for map in [
            explainer.saliency(&input, 7).unwrap(),
            explainer.integrated_gradients(&input, 7, 8).unwrap(),
            explainer
                .occlusion(&input, 7, Occlusion::default())
                .unwrap(),
        ] {
            assert_eq!((map.height, map.width, map.values.len()), (28, 28, 784));
            assert!(map.values.iter().all(|v| v.is_finite()));
            assert!(
                map.max_abs() > 0.0,
                "{architecture}: an explanation that is all zero"
            );
        }
        for layer in architecture
            .plan()
            .iter()
            .filter(|l| l.receptive_field.is_some())
        {
            let name = layer.name.to_string();
            let cam = explainer.grad_cam(&input, &name, 7).unwrap();
            let [c, h, w] = layer.output_shape[..] else {
                panic!()
            };
            assert_eq!(cam.weights.len(), c, "{architecture} {name}");
            assert_eq!(
                (cam.map.height, cam.map.width),
                (h, w),
                "{architecture} {name}"
            );
            assert_eq!(cam.on_input.values.len(), 784);
            assert!(
                cam.map.values.iter().all(|&v| v >= 0.0),
                "Grad-CAM is after a ReLU"
            );
        }
    }
}

#[test]
fn bad_requests_are_errors_that_say_what_is_allowed() {
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device(), 0);
    let explainer = Explainer::new(&model, 0.0);
    let message = |e: lenet::Error| e.to_string();
    assert!(message(explainer.saliency(&[0.0; 100], 1).unwrap_err()).contains("not 100"));
    assert!(message(explainer.saliency(&seven(), 10).unwrap_err()).contains("10 classes"));
    let wrong_layer = message(explainer.grad_cam(&seven(), "fc1", 1).unwrap_err());
    assert!(
        wrong_layer.contains("conv1") && wrong_layer.contains("pool2"),
        "{wrong_layer}"
    );
    let no_patch = Occlusion {
        patch: 0,
        stride: 1,
    };
    assert!(explainer.occlusion(&seven(), 1, no_patch).is_err());
    let huge = Occlusion {
        patch: 29,
        stride: 1,
    };
    assert!(explainer.occlusion(&seven(), 1, huge).is_err());
}

/// Grad-CAM's weight of channel k is the mean over positions of the score's
/// gradient with respect to that channel's map, i.e. the derivative of the score
/// when the whole channel is raised by the same amount — measured here by
/// central differences through `forward_from`, with no autodiff at all.
#[test]
fn grad_cam_weights_are_the_spatially_averaged_gradients() {
    let device = device();
    for (architecture, layer, index) in [
        (Architecture::LENET5, "conv2", 3),
        (Architecture::LENET5, "pool1", 2),
        (Architecture::EXTRA_CONV, "relu3", 7),
    ] {
        let model = LeNetConfig::new(architecture.clone()).init_seeded(&device, 3);
        let explainer = Explainer::new(&model, 0.0);
        // Strokes with noise: no two map values tie, so a small shift crosses
        // no ReLU or max-pool boundary.
        let input = support::patterned_images(1);
        let class = 7;
        let cam = explainer.grad_cam(&input, layer, class).unwrap();
        let x = Tensor::<4>::from_data(TensorData::new(input.clone(), [1, 1, 28, 28]), &device);
        let maps = lenet::extract_feature_maps(&model, x);
        let map = maps.get(layer).unwrap();
        assert_eq!(architecture.plan()[index].name.to_string(), layer);
        let [c, h, w] = map.item_shape()[..] else {
            panic!()
        };
        let score = |values: Vec<f32>| {
            let t = Tensor::<4>::from_data(TensorData::new(values, [1, c, h, w]), &device);
            let logits = model.forward_from(index + 1, t, &mut NoTap);
            logits.into_data().try_into_vec_as::<f32>().unwrap()[class] as f64
        };
        let epsilon = 2e-4f32;
        for k in 0..c {
            let shifted = |sign: f32| {
                let mut v = map.values.clone();
                v[k * h * w..(k + 1) * h * w]
                    .iter_mut()
                    .for_each(|a| *a += sign * epsilon);
                v
            };
            let derivative = (score(shifted(1.0)) - score(shifted(-1.0))) / (2.0 * epsilon as f64);
            let expected = derivative / (h * w) as f64;
            let got = cam.weights[k] as f64;
            assert!(
                (got - expected).abs() <= 0.02 * expected.abs() + 1e-6,
                "{architecture} {layer} channel {k}: Grad-CAM weight {got}, finite differences {expected}"
            );
        }
    }
}

/// Integrated gradients add up to the score's change from the blank picture.
#[test]
fn integrated_gradients_are_complete() {
    let device = device();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 5);
    let background = -0.4242;
    let explainer = Explainer::new(&model, background);
    let input: Vec<f32> = seven().iter().map(|v| v * 3.0 + background).collect();
    for class in [0, 7] {
        let ig = explainer.integrated_gradients(&input, class, 256).unwrap();
        let total: f64 = ig.values.iter().map(|&v| v as f64).sum();
        let blank = vec![background; 784];
        let change = (logits(&model, &input)[class] - logits(&model, &blank)[class]) as f64;
        assert!(
            (total - change).abs() <= 0.01 * change.abs().max(0.1),
            "class {class}: attributions sum to {total}, the score changed by {change}"
        );
    }
}

/// On real handwriting, with a trained LeNet5: removing the 30 ink pixels an
/// explanation ranks first lowers the predicted class's probability more than
/// removing 30 random ink pixels, averaged over 40 test digits.
#[test]
fn explanations_are_faithful_on_real_mnist() {
    let Some(dir) = support::real_mnist_dir("explanations_are_faithful_on_real_mnist") else {
        return;
    };
    let device = device();
    let mnist = Mnist::load(&dir).unwrap();
    let mut config = Recipe::Tutorial.config(Architecture::LENET5).with_seed(0);
    config.epochs = 1;
    config.limit_train = Some(12_000);
    let trained = support::train(&config, &mnist, &device).unwrap();
    let normalization = config.normalization;
    let explainer = Explainer::for_normalization(&trained.model, normalization);
    let background = explainer.background();

    let probability = |image: &[f32], class: usize| {
        let t = Tensor::<4>::from_data(TensorData::new(image.to_vec(), [1, 1, 28, 28]), &device);
        let p = softmax(trained.model.forward(t), 1);
        p.into_data().try_into_vec_as::<f32>().unwrap()[class] as f64
    };
    let deleted = |image: &[f32], order: &[usize]| {
        let ink: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&p| image[p] != background)
            .take(30)
            .collect();
        let mut image = image.to_vec();
        for p in ink {
            image[p] = background;
        }
        image
    };
    let mut falls = [0.0f64; 4]; // saliency, integrated gradients, occlusion, random
    let mut state = 12345u64;
    for index in 0..40 {
        let image: Vec<f32> = mnist
            .test
            .image(index)
            .iter()
            .map(|&p| normalization.apply(p))
            .collect();
        let class = mnist.test.label(index) as usize;
        let before = probability(&image, class);
        // Saliency ranks by the first-order loss of deleting a pixel: g · (x − b).
        let saliency = explainer.saliency(&image, class).unwrap();
        let first_order = Heatmap {
            values: saliency
                .values
                .iter()
                .zip(&image)
                .map(|(g, x)| g * (x - background))
                .collect(),
            ..saliency
        };
        let rankings = [
            first_order.ranking(),
            explainer
                .integrated_gradients(&image, class, 16)
                .unwrap()
                .ranking(),
            explainer
                .occlusion(&image, class, Occlusion::default())
                .unwrap()
                .ranking(),
            {
                let mut order: Vec<usize> = (0..784).collect();
                for i in (1..order.len()).rev() {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    order.swap(i, (state >> 33) as usize % (i + 1));
                }
                order
            },
        ];
        for (fall, order) in falls.iter_mut().zip(&rankings) {
            *fall += before - probability(&deleted(&image, order), class);
        }
    }
    let [saliency, integrated, occlusion, random] = falls.map(|f| f / 40.0);
    eprintln!(
        "mean fall in probability after deleting 30 ink pixels: saliency {saliency:.3}, integrated gradients {integrated:.3}, occlusion {occlusion:.3}, random {random:.3}"
    );
    for (name, fall) in [
        ("saliency", saliency),
        ("integrated gradients", integrated),
        ("occlusion", occlusion),
    ] {
        assert!(
            fall > random + 0.05,
            "{name}: {fall:.3} vs random {random:.3}"
        );
    }
}
