//! Colour maps: viridis for activations (perceptually uniform, readable in
//! grey-scale print and by colour-blind readers), and a blue–white–red diverging
//! map for signed weights, where zero must look neutral.

use image::Rgb;

/// Matplotlib's viridis at 0, 0.1, ..., 1 (its published 11-step palette);
/// values between are interpolated linearly.
const VIRIDIS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 191, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];

/// Viridis colour of `t` in [0, 1] (clamped).
///
/// ```
/// use lenet::viz::viridis;
///
/// assert_eq!(viridis(0.0).0, [68, 1, 84]); // dark purple: low
/// assert_eq!(viridis(1.0).0, [253, 231, 37]); // yellow: high
/// ```
pub fn viridis(t: f32) -> Rgb<u8> {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let position = t * (VIRIDIS.len() - 1) as f32;
    let i = (position.floor() as usize).min(VIRIDIS.len() - 2);
    let f = position - i as f32;
    let mix =
        |c: usize| (VIRIDIS[i][c] as f32 * (1.0 - f) + VIRIDIS[i + 1][c] as f32 * f).round() as u8;
    Rgb([mix(0), mix(1), mix(2)])
}

/// Diverging colour of `t` in [-1, 1]: blue for negative, white for 0, red for positive.
///
/// ```
/// use lenet::viz::diverging;
///
/// assert_eq!(diverging(0.0).0, [247, 247, 247]);
/// assert!(diverging(-1.0).0[2] > diverging(-1.0).0[0]); // blue
/// assert!(diverging(1.0).0[0] > diverging(1.0).0[2]); // red
/// ```
pub fn diverging(t: f32) -> Rgb<u8> {
    const NEGATIVE: [f32; 3] = [33.0, 102.0, 172.0];
    const ZERO: [f32; 3] = [247.0, 247.0, 247.0];
    const POSITIVE: [f32; 3] = [178.0, 24.0, 43.0];
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1.0, 1.0) };
    let (end, f) = if t < 0.0 {
        (NEGATIVE, -t)
    } else {
        (POSITIVE, t)
    };
    let mix = |c: usize| (ZERO[c] * (1.0 - f) + end[c] * f).round() as u8;
    Rgb([mix(0), mix(1), mix(2)])
}
