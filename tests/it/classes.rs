//! A network's class count is honoured everywhere, not just MNIST's ten: a
//! 26-class (EMNIST letters) and a 47-class (EMNIST balanced) head train on
//! synthetic IDX sets in MNIST's format, evaluate with per-class tables of their
//! size, save, load back and predict with as many probabilities.

use crate::support;

use std::path::Path;

use lenet::data::{IdxArray, Mnist, encode_idx};
use lenet::predict::{PreparedDigit, predict};
use lenet::train::{Recipe, Silent};
use lenet::{Architecture, SavedModel};

/// Image of class `c`: a bright 4×4 block at its own place of a 7×7 grid.
fn image_of(class: usize, noise: u8) -> Vec<u8> {
    let (row, col) = (class / 7, class % 7);
    let mut image = vec![noise; 784];
    for y in 0..4 {
        for x in 0..4 {
            image[(row * 4 + y) * 28 + col * 4 + x] = 255;
        }
    }
    image
}

/// `per_class` training and 3 test images of each of `classes` classes, gzip'd IDX.
fn write_set(dir: &Path, classes: usize, per_class: usize) {
    let split = |n: usize| {
        let labels: Vec<u8> = (0..n * classes).map(|i| (i % classes) as u8).collect();
        let images: Vec<u8> = labels
            .iter()
            .enumerate()
            .flat_map(|(i, &l)| image_of(l as usize, (i % 17) as u8))
            .collect();
        let images = encode_idx(&IdxArray {
            dims: vec![labels.len(), 28, 28],
            data: images,
        });
        (images, support::labels_idx(&labels))
    };
    let (train_images, train_labels) = split(per_class);
    let (test_images, test_labels) = split(3);
    for (name, bytes) in [
        ("train-images-idx3-ubyte.gz", train_images),
        ("train-labels-idx1-ubyte.gz", train_labels),
        ("t10k-images-idx3-ubyte.gz", test_images),
        ("t10k-labels-idx1-ubyte.gz", test_labels),
    ] {
        std::fs::write(dir.join(name), support::gzip(&bytes)).unwrap();
    }
}

#[test]
fn heads_of_26_and_47_classes_train_evaluate_save_and_predict() {
    let device = lenet::device("flex").unwrap();
    for classes in [26usize, 47] {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), classes, 24);
        // MNIST's own loader refuses labels beyond 9; the class count is asked for.
        let refused = Mnist::load(dir.path()).unwrap_err().to_string();
        assert!(refused.contains("outside 0–9"), "{refused}");
        let data = Mnist::load_with_classes(dir.path(), classes).unwrap();
        assert_eq!(data.classes(), classes);

        // A ten-class network does not fit the data: said before any step.
        let ten = Recipe::Tutorial.config(Architecture::LENET5);
        let error = support::train(&ten, &data, &device)
            .unwrap_err()
            .to_string();
        assert!(error.contains(&format!("fc{classes}")), "{error}");

        let spec: Architecture = format!("conv8k5p2-relu-pool-fc{classes}").parse().unwrap();
        let mut config = Recipe::Tutorial.config(spec).with_seed(0).with_epochs(8);
        config.learning_rate = 1e-2;
        let out = tempfile::tempdir().unwrap();
        let options = lenet::RunOptions::new().with_output_dir(Some(out.path().to_path_buf()));
        let trained = lenet::train(&config, &options, &data, &device, &mut Silent).unwrap();
        let evaluation = &trained.evaluation;
        assert_eq!(evaluation.per_class.len(), classes);
        assert_eq!(evaluation.confusion.len(), classes);
        assert_eq!(evaluation.count, 3 * classes);
        assert!(
            evaluation.accuracy >= 0.9,
            "{classes} classes: accuracy {} on separable blocks",
            evaluation.accuracy
        );
        trained.save(out.path(), "flex").unwrap();

        // Loaded back from its files alone, it predicts with one probability per class.
        let saved = SavedModel::load(&out.path().join("model.bpk"), None, &device).unwrap();
        assert_eq!(saved.architecture.num_classes(), classes);
        for index in 0..classes {
            let pixels = data
                .test
                .image(index)
                .iter()
                .map(|&p| p as f32 / 255.0)
                .collect();
            let prediction = predict(&saved, &PreparedDigit::from_pixels(pixels));
            assert_eq!(prediction.probabilities.len(), classes);
            assert_eq!(prediction.class, evaluation.predictions[index] as usize);
        }
    }
}
