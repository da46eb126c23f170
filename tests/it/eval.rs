//! The evaluation metrics against values computed by hand.

use lenet::eval::EvalAccumulator;

/// Logits that put `confidence` on `predicted`.
fn logits_for(predicted: &[usize], confidence: f32) -> Vec<f32> {
    let mut logits = vec![0.0; predicted.len() * 10];
    for (i, &p) in predicted.iter().enumerate() {
        logits[i * 10 + p] = confidence;
    }
    logits
}

#[test]
fn accuracy_confusion_and_per_class_scores() {
    let labels = [0u8, 0, 0, 1, 1, 2];
    let predicted = [0, 0, 1, 1, 2, 2];
    let mut acc = EvalAccumulator::default();
    acc.add(&logits_for(&predicted[..3], 4.0), &labels[..3]);
    acc.add(&logits_for(&predicted[3..], 4.0), &labels[3..]);
    let e = acc.finish();
    assert_eq!((e.count, e.correct), (6, 4));
    assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-12);
    assert_eq!(e.confusion[0][..3], [2, 1, 0]);
    assert_eq!(e.confusion[1][..3], [0, 1, 1]);
    assert_eq!(e.confusion[2][..3], [0, 0, 1]);
    // Every image's class, in order, across batches.
    assert_eq!(e.predictions, [0, 0, 1, 1, 2, 2]);
    // Class 0: precision 2/2, recall 2/3. Class 1: 1/2, 1/2. Class 2: 1/2, 1/1.
    let c = &e.per_class;
    assert_eq!(
        (c[0].precision, c[0].recall, c[0].support),
        (1.0, 2.0 / 3.0, 3)
    );
    assert!((c[0].f1 - 0.8).abs() < 1e-12);
    assert_eq!((c[1].precision, c[1].recall), (0.5, 0.5));
    assert_eq!((c[2].precision, c[2].recall), (0.5, 1.0));
    assert_eq!(c[5].support, 0);
    // Macro averages all ten digits, those with no images counting 0.
    let macro_recall = (2.0 / 3.0 + 0.5 + 1.0) / 10.0;
    assert!((e.macro_avg.recall - macro_recall).abs() < 1e-12);
    let weighted_recall = (3.0 * 2.0 / 3.0 + 2.0 * 0.5 + 1.0) / 6.0;
    assert!((e.weighted_avg.recall - weighted_recall).abs() < 1e-12);
    assert!(
        (e.weighted_avg.recall - e.accuracy).abs() < 1e-12,
        "weighted recall is accuracy"
    );
}

#[test]
fn loss_mse_and_r2_follow_their_definitions() {
    let labels = [3u8, 7];
    let logits: Vec<f32> = (0..20).map(|i| (i % 7) as f32 * 0.3).collect();
    let mut acc = EvalAccumulator::default();
    acc.add(&logits, &labels);
    let e = acc.finish();
    let mut loss = 0.0;
    let mut squared = [0.0f64; 10];
    for (row, &label) in logits.chunks(10).zip(&labels) {
        let sum: f64 = row.iter().map(|&v| (v as f64).exp()).sum();
        loss += -((row[label as usize] as f64).exp() / sum).ln();
        for c in 0..10 {
            let p = (row[c] as f64).exp() / sum;
            let y = if c == label as usize { 1.0 } else { 0.0 };
            squared[c] += (p - y).powi(2);
        }
    }
    assert!((e.loss - loss / 2.0).abs() < 1e-6);
    assert!((e.mse - squared.iter().sum::<f64>() / 20.0).abs() < 1e-9);
    // Columns 3 and 7 have one 1 and one 0 (SS_tot = 0.5); the others are constant (R² = 0).
    let r2 = ((1.0 - squared[3] / 0.5) + (1.0 - squared[7] / 0.5)) / 10.0;
    assert!((e.r2 - r2).abs() < 1e-9, "{} vs {r2}", e.r2);
}

#[test]
fn display_and_json_hold_the_table_and_matrix() {
    let mut acc = EvalAccumulator::default();
    acc.add(&logits_for(&[1, 2], 3.0), &[1, 3]);
    let e = acc.finish();
    let text = e.to_string();
    assert!(
        text.contains("2 images: accuracy 50.00% (1 wrong)"),
        "{text}"
    );
    assert!(
        text.contains("macro avg") && text.contains("confusion matrix"),
        "{text}"
    );
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["confusion"][3][2], 1);
    assert_eq!(json["per_class"].as_array().unwrap().len(), 10);
}

/// `lenet::evaluate` reads as many logits per image as the model has classes:
/// twelve outputs give twelve-class tables and the model's own argmax; with five,
/// the digits 5–9 it has no output for are never right and the loss is infinite.
#[test]
fn evaluation_follows_the_models_class_count() {
    use lenet::data::{MnistSplit, Normalization, Split};
    use lenet::{Architecture, LeNetConfig};
    let device = lenet::device("flex").unwrap();
    let n = 40;
    let pixels: Vec<u8> = (0..n * 784).map(|i| ((i * 37) % 251) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let split = MnistSplit::from_raw(Split::Test, pixels, labels.clone()).unwrap();
    for (spec, classes) in [("conv4k5-relu-pool-fc12", 12), ("conv4k5-relu-pool-fc5", 5)] {
        let arch: Architecture = spec.parse().unwrap();
        let model = LeNetConfig::new(arch).init_seeded(&device, 1);
        let eval = lenet::evaluate(&model, &split, Normalization::None, 16);
        let images = lenet::data::MnistBatcher::new(Normalization::None)
            .batch_from_split(&split, &(0..n).collect::<Vec<_>>(), &device)
            .images;
        let logits = model
            .forward(images)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        let argmax: Vec<u8> = logits
            .chunks_exact(classes)
            .map(|row| {
                (0..classes).fold(0, |best, c| if row[c] > row[best] { c } else { best }) as u8
            })
            .collect();
        assert_eq!(eval.predictions, argmax, "{spec}");
        assert_eq!(eval.count, n, "{spec}");
        assert_eq!(eval.confusion.len(), classes.max(10), "{spec}");
        let right = argmax.iter().zip(&labels).filter(|(p, l)| p == l).count();
        assert_eq!(eval.correct, right, "{spec}");
        assert_eq!(
            eval.loss.is_infinite(),
            classes < 10,
            "{spec}: loss {}",
            eval.loss
        );
    }
}
