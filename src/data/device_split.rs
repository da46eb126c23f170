//! A split uploaded to the device once, with its batches gathered there.
//!
//! Why: on a GPU, building every batch on the host and uploading it is a
//! transfer per step, and for a network as small as LeNet such transfers (and
//! the waits they bring) cost more than the arithmetic. Here the model inputs of
//! every image go up once per run; a training batch is then one gather by index
//! and an evaluation batch one slice, both on the device. The indices of a whole
//! epoch go up at once too ([`DeviceSplit::order`]), so a step uploads nothing.
//!
//! The inputs are normalised when uploaded, with the same table the host batches
//! use ([`MnistBatcher`](super::MnistBatcher)), so both give bit-identical
//! tensors. The price is memory: four bytes per pixel on the device (188 MB for
//! the 60,000 training images), which is why the training loop uses this on GPUs
//! only (docs/PERFORMANCE.md measures both on the CPU).

use std::ops::Range;

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::batcher::{MnistBatch, Normalization};
use super::mnist::{IMAGE_PIXELS, IMAGE_SIDE, MnistSplit};

/// The first images of a split and their labels, on a device, as model inputs.
///
/// ```
/// use lenet::data::{DeviceSplit, MnistSplit, Normalization, Split};
///
/// let device = lenet::device("flex")?;
/// let split = MnistSplit::from_raw(Split::Train, vec![255; 3 * 784], vec![4, 5, 6])?;
/// let on_device = DeviceSplit::upload(&split, 3, Normalization::None, &device);
/// let order = on_device.order(&[2, 0, 1]);
/// let batch = on_device.gather(order.slice(0..2));
/// assert_eq!(batch.images.dims(), [2, 1, 28, 28]);
/// assert_eq!(batch.targets.into_data().try_into_vec_as::<i64>().unwrap(), vec![6, 4]);
/// assert_eq!(on_device.range(1..3).images.dims(), [2, 1, 28, 28]);
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeviceSplit {
    /// `[len, 784]` model inputs.
    images: Tensor<2>,
    /// `[len]` digits.
    labels: Tensor<1, Int>,
    len: usize,
}

impl DeviceSplit {
    /// Uploads the first `len` images of `split` (all of them if it has fewer),
    /// normalised as `normalization` says, to `device`.
    pub fn upload(
        split: &MnistSplit,
        len: usize,
        normalization: Normalization,
        device: &Device,
    ) -> Self {
        let len = len.min(split.len());
        let table = normalization.table();
        let pixels: Vec<f32> = split.images()[..len * IMAGE_PIXELS]
            .iter()
            .map(|&p| table[p as usize])
            .collect();
        let labels: Vec<i64> = split.labels()[..len].iter().map(|&l| l as i64).collect();
        Self {
            images: Tensor::from_data(TensorData::new(pixels, [len, IMAGE_PIXELS]), device),
            labels: Tensor::from_data(TensorData::new(labels, [len]), device),
            len,
        }
    }

    /// Images held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Uploads an order of visits (indices below [`len`](Self::len)) once, for
    /// [`gather`](Self::gather) to take slices of.
    pub fn order(&self, indices: &[usize]) -> Tensor<1, Int> {
        let indices: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        let count = indices.len();
        Tensor::from_data(TensorData::new(indices, [count]), &self.images.device())
    }

    /// The batch of the images at `indices` (on this split's device), gathered
    /// on the device.
    ///
    /// # Shapes
    /// `indices`: `[n]` → images `[n, 1, 28, 28]`, targets `[n]`.
    pub fn gather(&self, indices: Tensor<1, Int>) -> MnistBatch {
        let n = indices.dims()[0];
        MnistBatch {
            images: self
                .images
                .clone()
                .select(0, indices.clone())
                .reshape([n, 1, IMAGE_SIDE, IMAGE_SIDE]),
            targets: self.labels.clone().select(0, indices),
        }
    }

    /// The batch of the images in `range`, in order: a slice on the device.
    ///
    /// # Shapes
    /// images `[range.len(), 1, 28, 28]`, targets `[range.len()]`.
    pub fn range(&self, range: Range<usize>) -> MnistBatch {
        let n = range.len();
        MnistBatch {
            images: self
                .images
                .clone()
                .slice(range.clone())
                .reshape([n, 1, IMAGE_SIDE, IMAGE_SIDE]),
            targets: self.labels.clone().slice(range),
        }
    }
}
