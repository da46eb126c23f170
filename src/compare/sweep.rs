//! The sweep's architectures: LeNet-style networks of 1–4 conv stages, each
//! conv → ReLU → 2×2 max-pool, at several widths and kernel sizes, with LeNet5's
//! classifier — "are more conv layers better, or fewer?" asked over a grid.

use crate::model::{Architecture, LayerSpec};
use crate::{Error, Result};

/// Channels of the four stages at width ×1: LeNet5's 6 and 16, then doubling.
pub const BASE_CHANNELS: [usize; 4] = [6, 16, 32, 64];

/// What to sweep: every combination of `depths` × `widths` × `kernels`.
///
/// ```
/// use lenet::compare::Sweep;
///
/// let sweep = Sweep::default();
/// let architectures = sweep.architectures()?;
/// assert_eq!(architectures.len(), 4 * 3 * 2);
/// assert_eq!(
///     architectures[0].spec(),
///     "conv3k3p1-relu-pool-fc120-relu-fc84-relu-fc10"
/// );
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Numbers of conv stages (1–4: a 28×28 input halves four times to 1×1).
    pub depths: Vec<usize>,
    /// Channel multipliers of [`BASE_CHANNELS`] (rounded, at least 1).
    pub widths: Vec<f64>,
    /// Square kernel sizes (odd; padded to keep the map size, `p = k / 2`).
    pub kernels: Vec<usize>,
}

impl Default for Sweep {
    /// Depth 1–4 × width ×½, ×1, ×2 × kernel 3, 5.
    fn default() -> Self {
        Self {
            depths: vec![1, 2, 3, 4],
            widths: vec![0.5, 1.0, 2.0],
            kernels: vec![3, 5],
        }
    }
}

impl Sweep {
    /// The architectures, depth first, then width, then kernel (each once, when
    /// two widths round to the same channel counts).
    pub fn architectures(&self) -> Result<Vec<Architecture>> {
        let mut out = Vec::new();
        for &depth in &self.depths {
            if !(1..=BASE_CHANNELS.len()).contains(&depth) {
                return Err(Error::InvalidArgument(format!(
                    "a sweep's depth is 1 to {} conv stages, not {depth}",
                    BASE_CHANNELS.len()
                )));
            }
            for &width in &self.widths {
                if !(width.is_finite() && width > 0.0) {
                    return Err(Error::InvalidArgument(format!(
                        "a sweep's width is a positive multiplier, not {width}"
                    )));
                }
                for &kernel in &self.kernels {
                    if kernel % 2 == 0 {
                        return Err(Error::InvalidArgument(format!(
                            "a sweep's kernels are odd (padded by k/2 to keep the size), not {kernel}"
                        )));
                    }
                    // Widths that round to the same channels give one network, once.
                    let arch = stages(depth, width, kernel)?;
                    if !out.contains(&arch) {
                        out.push(arch);
                    }
                }
            }
        }
        Ok(out)
    }
}

fn stages(depth: usize, width: f64, kernel: usize) -> Result<Architecture> {
    let mut layers = Vec::new();
    for &base in &BASE_CHANNELS[..depth] {
        layers.push(LayerSpec::Conv2d {
            channels: ((base as f64 * width).round() as usize).max(1),
            kernel,
            padding: kernel / 2,
            stride: 1,
        });
        layers.push(LayerSpec::Relu);
        layers.push(LayerSpec::MaxPool2d { kernel: 2 });
    }
    for features in [120, 84] {
        layers.push(LayerSpec::Linear { features });
        layers.push(LayerSpec::Relu);
    }
    layers.push(LayerSpec::Linear { features: 10 });
    Architecture::new(layers)
}
