//! The real MNIST files from ../shared/data/mnist (or LENET_DATA_DIR); each test
//! prints why it skips when they are absent.

use crate::support;

use burn::data::dataset::Dataset;
use lenet::data::{Mnist, MnistBatcher, Normalization};

fn load(test: &str) -> Option<Mnist> {
    support::real_mnist_dir(test).map(|dir| Mnist::load(&dir).expect("real MNIST loads"))
}

#[test]
fn splits_have_the_published_sizes_and_class_counts() {
    let Some(mnist) = load("splits_have_the_published_sizes_and_class_counts") else {
        return;
    };
    assert_eq!(mnist.train.len(), 60_000);
    assert_eq!(mnist.test.len(), 10_000);
    assert_eq!(
        mnist.train.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        mnist.test.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(&mnist.train.labels()[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(&mnist.test.labels()[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let item = mnist.test.get(0).unwrap();
    assert_eq!(item.label, 7);
    assert_eq!(&item.image[..], mnist.test.image(0));
    assert_eq!(Dataset::len(&mnist.test), 10_000);
}

#[test]
fn pixel_statistics_are_the_familiar_constants() {
    let Some(mnist) = load("pixel_statistics_are_the_familiar_constants") else {
        return;
    };
    let stats = mnist.train.pixel_stats();
    assert!((stats.mean - 0.1307).abs() < 5e-5, "mean {}", stats.mean);
    assert!((stats.std - 0.3081).abs() < 5e-5, "std {}", stats.std);
}

#[test]
fn batches_are_to_tensor_scaled_and_optionally_standardised() {
    let Some(mnist) = load("batches_are_to_tensor_scaled_and_optionally_standardised") else {
        return;
    };
    let device = lenet::device("flex").unwrap();
    let indices: Vec<usize> = (0..1000).collect();
    let plain =
        MnistBatcher::new(Normalization::None).batch_from_split(&mnist.train, &indices, &device);
    assert_eq!(plain.images.dims(), [1000, 1, 28, 28]);
    let values = plain.images.into_data().try_into_vec_as::<f32>().unwrap();
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(values[0..784].iter().cloned().fold(0.0, f32::max), 1.0);
    assert_eq!(values[152], mnist.train.image(0)[152] as f32 / 255.0);

    let standard =
        MnistBatcher::new(Normalization::MNIST).batch_from_split(&mnist.train, &indices, &device);
    let values = standard
        .images
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
    let var = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / values.len() as f64;
    assert!(mean.abs() < 0.05, "standardised mean {mean}");
    assert!(
        (var.sqrt() - 1.0).abs() < 0.05,
        "standardised std {}",
        var.sqrt()
    );
    let targets = standard
        .targets
        .into_data()
        .try_into_vec_as::<i64>()
        .unwrap();
    assert_eq!(&targets[..3], &[5, 0, 4]);
}
