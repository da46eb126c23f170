//! From stored pixels to the tensors the model reads.
//!
//! The tutorial's `ToTensor` scales pixels to [0, 1]; its training optionally
//! standardises them with MNIST's mean and std. Which of the two a model was
//! trained with is a [`Normalization`] value saved in its config, so training,
//! evaluation and prediction can never disagree.

use burn::config::Config;
use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::mnist::{IMAGE_PIXELS, IMAGE_SIDE, MnistItem, MnistSplit};

/// How pixel values (0–255) become model inputs.
///
/// ```
/// use lenet::data::Normalization;
///
/// assert_eq!(Normalization::None.apply(255), 1.0);
/// let standardized = Normalization::MNIST.apply(0);
/// assert!((standardized - (-0.1307 / 0.3081)).abs() < 1e-6);
/// ```
#[derive(Config, Debug, Copy, PartialEq)]
pub enum Normalization {
    /// `pixel / 255`, in [0, 1] — the tutorial's `ToTensor()`.
    None,
    /// `(pixel / 255 − mean) / std`.
    Standardize {
        /// Mean subtracted after scaling to [0, 1].
        mean: f32,
        /// Standard deviation divided by after subtracting the mean.
        std: f32,
    },
}

impl Normalization {
    /// MNIST's training-set statistics, as in PyTorch's MNIST example.
    pub const MNIST: Normalization = Normalization::Standardize {
        mean: 0.1307,
        std: 0.3081,
    };

    /// The model input for one pixel value.
    #[inline]
    pub fn apply(self, pixel: u8) -> f32 {
        self.apply_scaled(pixel as f32 / 255.0)
    }

    /// The model input for a value already scaled to [0, 1].
    #[inline]
    pub fn apply_scaled(self, value: f32) -> f32 {
        match self {
            Normalization::None => value,
            Normalization::Standardize { mean, std } => (value - mean) / std,
        }
    }

    /// All 256 possible inputs, so a batch is built by table look-up.
    pub(super) fn table(self) -> [f32; 256] {
        std::array::from_fn(|p| self.apply(p as u8))
    }
}

/// A batch of images `[N, 1, 28, 28]` and their labels `[N]`.
#[derive(Debug, Clone)]
pub struct MnistBatch {
    /// Model inputs.
    pub images: Tensor<4>,
    /// Digits 0–9.
    pub targets: Tensor<1, Int>,
}

impl MnistBatch {
    /// Uploads model inputs (`n × 784` values) and labels (`n`) as one batch.
    pub fn from_values(pixels: Vec<f32>, labels: Vec<i64>, device: &Device) -> Self {
        let n = labels.len();
        MnistBatch {
            images: images_tensor(pixels, n, device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

/// Model inputs for `n` images (row-major `n × 28 × 28` values) as one
/// `[n, 1, 28, 28]` tensor on `device`.
pub(crate) fn images_tensor(values: Vec<f32>, n: usize, device: &Device) -> Tensor<4> {
    Tensor::from_data(
        TensorData::new(values, [n, 1, IMAGE_SIDE, IMAGE_SIDE]),
        device,
    )
}

/// Builds [`MnistBatch`]es; usable with Burn's `DataLoaderBuilder`.
///
/// ```
/// use burn::data::dataloader::batcher::Batcher;
/// use lenet::data::{MnistBatcher, MnistItem, Normalization};
///
/// let device = lenet::device("flex")?;
/// let item = MnistItem { image: [255; 784], label: 7 };
/// let batch = MnistBatcher::new(Normalization::None).batch(vec![item, item], &device);
/// assert_eq!(batch.images.dims(), [2, 1, 28, 28]);
/// assert_eq!(batch.targets.into_data().try_into_vec_as::<i64>().unwrap(), vec![7, 7]);
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MnistBatcher {
    normalization: Normalization,
}

impl MnistBatcher {
    /// A batcher applying `normalization`.
    pub fn new(normalization: Normalization) -> Self {
        Self { normalization }
    }

    /// Builds a batch straight from a split, without copying items: one pass
    /// over the selected images into one buffer, one upload to the device.
    ///
    /// ```
    /// use lenet::data::{MnistBatcher, MnistSplit, Normalization, Split};
    ///
    /// let device = lenet::device("flex")?;
    /// let split = MnistSplit::from_raw(Split::Test, vec![0; 3 * 784], vec![1, 2, 3])?;
    /// let batch = MnistBatcher::new(Normalization::MNIST).batch_from_split(&split, &[2, 0], &device);
    /// assert_eq!(batch.targets.into_data().try_into_vec_as::<i64>().unwrap(), vec![3, 1]);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn batch_from_split(
        &self,
        split: &MnistSplit,
        indices: &[usize],
        device: &Device,
    ) -> MnistBatch {
        self.build(
            indices.iter().map(|&i| (split.image(i), split.label(i))),
            indices.len(),
            device,
        )
    }

    fn build<'a>(
        &self,
        items: impl Iterator<Item = (&'a [u8], u8)>,
        count: usize,
        device: &Device,
    ) -> MnistBatch {
        let table = self.normalization.table();
        let mut pixels = Vec::with_capacity(count * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(count);
        for (image, label) in items {
            pixels.extend(image.iter().map(|&p| table[p as usize]));
            labels.push(label as i64);
        }
        MnistBatch::from_values(pixels, labels, device)
    }
}

impl Batcher<MnistItem, MnistBatch> for MnistBatcher {
    fn batch(&self, items: Vec<MnistItem>, device: &Device) -> MnistBatch {
        self.build(
            items.iter().map(|item| (&item.image[..], item.label)),
            items.len(),
            device,
        )
    }
}
