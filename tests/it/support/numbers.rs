//! Comparing computed values: one tolerance rule for every test.
//!
//! Two results agree within `tolerance` when the largest absolute difference
//! between them is at most `tolerance × max(1, largest |reference value|)`:
//! absolute for values up to 1, relative to the largest value above that, so
//! logits in the tens and gradients near 1e-3 are judged by one rule. A value
//! that is not finite never agrees.

use burn::tensor::Tensor;

/// A tensor's values as `f32`, row-major.
pub fn floats<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec_as::<f32>().unwrap()
}

/// The largest difference between `reference` and `other`, as a fraction of
/// `max(1, largest |reference value|)`; infinite when `other` holds a value that is
/// not finite.
pub fn difference(reference: &[f32], other: &[f32]) -> f32 {
    assert_eq!(reference.len(), other.len(), "same number of values");
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let worst = reference
        .iter()
        .zip(other)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    if worst.is_nan() || other.iter().any(|v| !v.is_finite()) {
        return f32::INFINITY;
    }
    worst / scale
}

/// Asserts that `other` agrees with `reference` within `tolerance` (the rule
/// above); returns the difference.
pub fn assert_close(what: &str, reference: &[f32], other: &[f32], tolerance: f32) -> f32 {
    let difference = difference(reference, other);
    assert!(
        difference <= tolerance,
        "{what}: differs by {difference:e} (of max(1, |largest value|)), over {tolerance:e}"
    );
    difference
}
