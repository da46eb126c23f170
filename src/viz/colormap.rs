//! Colour maps: viridis for activations (perceptually uniform, readable in
//! grey-scale print and by colour-blind readers; the `colorous` crate's exact
//! map), and a blue–white–red diverging map for signed weights, where zero must
//! look neutral (three stops of ColorBrewer's RdBu, kept here because its full
//! map's darkest ends would hide a kernel's sign).

use image::Rgb;

/// Viridis colour of `t` in [0, 1] (clamped): matplotlib's exact map, from
/// the `colorous` crate.
///
/// ```
/// use lenet::viz::viridis;
///
/// assert_eq!(viridis(0.0).0, [68, 1, 84]); // dark purple: low
/// assert_eq!(viridis(1.0).0, [253, 231, 37]); // yellow: high
/// ```
pub fn viridis(t: f32) -> Rgb<u8> {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let c = colorous::VIRIDIS.eval_continuous(f64::from(t));
    Rgb([c.r, c.g, c.b])
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
