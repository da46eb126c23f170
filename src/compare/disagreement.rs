//! Where two models part ways: the test images one gets right and the other
//! wrong (or both wrong, differently). A table of accuracies cannot show these;
//! a sheet of the digits themselves can.

use serde::Serialize;

use super::Comparison;

/// One test image on which two models predict different classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// Index in the test set.
    pub index: usize,
    /// The true digit.
    pub label: u8,
    /// What the first model predicts.
    pub first: u8,
    /// What the second model predicts.
    pub second: u8,
}

/// The test images where models `first` and `second` of `comparison` (their
/// first seed's runs) predict differently, in test-set order.
///
/// ```
/// # use lenet::compare::{Comparison, disagreements};
/// # fn show(comparison: &Comparison) {
/// for d in disagreements(comparison, 0, 1).iter().take(5) {
///     println!("#{}: a {} read as {} and as {}", d.index, d.label, d.first, d.second);
/// }
/// # }
/// ```
pub fn disagreements(comparison: &Comparison, first: usize, second: usize) -> Vec<Disagreement> {
    let (Some(a), Some(b)) = (comparison.models.get(first), comparison.models.get(second)) else {
        return Vec::new();
    };
    let (a, b) = (
        &a.runs[0].trained.evaluation.predictions,
        &b.runs[0].trained.evaluation.predictions,
    );
    a.iter()
        .zip(b)
        .zip(&comparison.test_labels)
        .enumerate()
        .filter(|(_, ((p, q), _))| p != q)
        .map(|(index, ((&first, &second), &label))| Disagreement {
            index,
            label,
            first,
            second,
        })
        .collect()
}
