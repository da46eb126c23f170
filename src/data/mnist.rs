//! MNIST's two splits, loaded once into memory and validated, as Burn datasets.

use std::path::{Path, PathBuf};

use burn::data::dataset::Dataset;

use super::idx::{IdxKind, read_idx};
use crate::{Error, Result};

/// Side length of an MNIST image.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one MNIST image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Number of classes (the digits 0–9).
pub const NUM_CLASSES: usize = 10;

/// The training or the test split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// 60,000 images.
    Train,
    /// 10,000 images, the only ones accuracy is reported on.
    Test,
}

impl Split {
    /// The file-name stem of the split's images, e.g. `train-images-idx3-ubyte`.
    pub fn images_file(self) -> &'static str {
        match self {
            Split::Train => "train-images-idx3-ubyte",
            Split::Test => "t10k-images-idx3-ubyte",
        }
    }

    /// The file-name stem of the split's labels, e.g. `train-labels-idx1-ubyte`.
    pub fn labels_file(self) -> &'static str {
        match self {
            Split::Train => "train-labels-idx1-ubyte",
            Split::Test => "t10k-labels-idx1-ubyte",
        }
    }

    /// `"train"` or `"test"`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// The four standard file names, gzip form (what is downloaded).
pub fn standard_files() -> [String; 4] {
    [
        format!("{}.gz", Split::Train.images_file()),
        format!("{}.gz", Split::Train.labels_file()),
        format!("{}.gz", Split::Test.images_file()),
        format!("{}.gz", Split::Test.labels_file()),
    ]
}

/// Finds `<stem>.gz` or `<stem>` in `dir`.
pub(crate) fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// The standard files that `dir` lacks (in neither raw nor gzip form).
pub(crate) fn missing_files(dir: &Path) -> Vec<String> {
    [Split::Train, Split::Test]
        .into_iter()
        .flat_map(|s| [s.images_file(), s.labels_file()])
        .filter(|stem| find_file(dir, stem).is_none())
        .map(|stem| format!("{stem}[.gz]"))
        .collect()
}

/// Which of a split's two files a validation failure is about.
enum Blame {
    Images,
    Labels,
}

/// One MNIST image and its label, as stored (pixels 0–255, 0 = background).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistItem {
    /// Row-major pixels.
    pub image: [u8; IMAGE_PIXELS],
    /// The digit, 0–9.
    pub label: u8,
}

/// Mean and standard deviation of pixel values scaled to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelStats {
    /// Mean of pixel/255.
    pub mean: f64,
    /// Population standard deviation of pixel/255.
    pub std: f64,
}

/// One split in memory: all images as one contiguous byte array, and the labels.
///
/// ```no_run
/// use lenet::data::{MnistSplit, Split};
///
/// let test = MnistSplit::load("data/mnist".as_ref(), Split::Test)?;
/// assert_eq!(test.len(), 10_000);
/// let first = test.image(0); // 784 bytes
/// println!("label {} ink {}", test.label(0), first.iter().filter(|&&p| p > 0).count());
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MnistSplit {
    split: Split,
    images: Vec<u8>,
    labels: Vec<u8>,
    /// Labels are below this: 10 for MNIST's digits, more for a set in the same
    /// format with more classes (EMNIST's letters, 26; its balanced set, 47).
    classes: usize,
}

impl MnistSplit {
    /// Loads and validates one split from `dir` (labels 0–9).
    pub fn load(dir: &Path, split: Split) -> Result<Self> {
        Self::load_with_classes(dir, split, NUM_CLASSES)
    }

    /// [`load`](Self::load) for a data set in MNIST's format whose labels are
    /// `0..classes` (e.g. 26 letters, 47 balanced EMNIST classes): a model for
    /// it ends with `fc<classes>`.
    pub fn load_with_classes(dir: &Path, split: Split, classes: usize) -> Result<Self> {
        let missing = missing_files(dir);
        let locate = |stem: &str| {
            find_file(dir, stem).ok_or_else(|| Error::MissingData {
                dir: dir.to_path_buf(),
                missing: missing.clone(),
                expected: standard_files().to_vec(),
            })
        };
        let images_path = locate(split.images_file())?;
        let labels_path = locate(split.labels_file())?;
        let images = read_idx(&images_path, IdxKind::Images)?;
        let labels = read_idx(&labels_path, IdxKind::Labels)?;
        if images.dims[1..] != [IMAGE_SIDE, IMAGE_SIDE] {
            return Err(Error::InvalidDataset {
                path: images_path,
                reason: format!(
                    "images are {}×{}, MNIST images are {IMAGE_SIDE}×{IMAGE_SIDE}",
                    images.dims[1], images.dims[2]
                ),
            });
        }
        Self::from_parts(split, images.data, labels.data, classes).map_err(|(blame, reason)| {
            let (path, other) = match blame {
                Blame::Images => (images_path, labels_path),
                Blame::Labels => (labels_path, images_path),
            };
            Error::InvalidDataset {
                path,
                reason: reason.replace("{other}", &other.display().to_string()),
            }
        })
    }

    /// Builds a split from raw pixels (`n × 784` bytes) and labels (`n` bytes).
    ///
    /// ```
    /// use lenet::data::{MnistSplit, Split};
    ///
    /// let split = MnistSplit::from_raw(Split::Test, vec![0; 2 * 784], vec![3, 9])?;
    /// assert_eq!(split.len(), 2);
    /// assert!(MnistSplit::from_raw(Split::Test, vec![0; 784], vec![10]).is_err());
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn from_raw(split: Split, images: Vec<u8>, labels: Vec<u8>) -> Result<Self> {
        Self::from_raw_with_classes(split, images, labels, NUM_CLASSES)
    }

    /// [`from_raw`](Self::from_raw) with labels `0..classes`.
    ///
    /// ```
    /// use lenet::data::{MnistSplit, Split};
    ///
    /// let letters = MnistSplit::from_raw_with_classes(Split::Test, vec![0; 784], vec![25], 26)?;
    /// assert_eq!(letters.classes(), 26);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn from_raw_with_classes(
        split: Split,
        images: Vec<u8>,
        labels: Vec<u8>,
        classes: usize,
    ) -> Result<Self> {
        Self::from_parts(split, images, labels, classes)
            .map_err(|(_, reason)| Error::InvalidArgument(reason.replace("{other}", "the labels")))
    }

    /// Validates the arrays; the error names which file is to blame, and uses
    /// `{other}` where the message should name the other file.
    fn from_parts(
        split: Split,
        images: Vec<u8>,
        labels: Vec<u8>,
        classes: usize,
    ) -> Result<Self, (Blame, String)> {
        if classes == 0 || classes > 256 {
            return Err((
                Blame::Labels,
                format!("{classes} classes: labels are bytes, so 1 to 256 classes"),
            ));
        }
        if !images.len().is_multiple_of(IMAGE_PIXELS) {
            return Err((
                Blame::Images,
                format!(
                    "{} bytes of pixels is not a whole number of {IMAGE_PIXELS}-pixel images",
                    images.len()
                ),
            ));
        }
        let count = images.len() / IMAGE_PIXELS;
        if count != labels.len() {
            return Err((
                Blame::Images,
                format!(
                    "{count} images but {} labels in {{other}}: the files do not belong together",
                    labels.len()
                ),
            ));
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| l as usize >= classes)
        {
            return Err((
                Blame::Labels,
                format!(
                    "label {label} at index {index} is outside 0–{}",
                    classes - 1
                ),
            ));
        }
        Ok(Self {
            split,
            images,
            labels,
            classes,
        })
    }

    /// How many classes the labels are drawn from (10 for MNIST).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Which split this is.
    pub fn split(&self) -> Split {
        self.split
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `index`, row-major. Panics if out of range, like slicing.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.images[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// Image `index` as a model input `[1, 1, 28, 28]` in [0, 1] (the tutorial's
    /// `ToTensor`), on `device`.
    pub fn image_tensor(
        &self,
        index: usize,
        device: &burn::tensor::Device,
    ) -> burn::tensor::Tensor<4> {
        super::MnistBatcher::new(super::Normalization::None)
            .batch_from_split(self, &[index], device)
            .images
    }

    /// The label of image `index`.
    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    /// All pixels, image after image.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Keeps only the first `n` images (for quick runs).
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        self.images.truncate(n * IMAGE_PIXELS);
        self.labels.truncate(n);
    }

    /// How many images of each class, one count per class of
    /// [`classes`](Self::classes) (ten for MNIST's digits).
    ///
    /// ```
    /// use lenet::data::{MnistSplit, Split};
    ///
    /// let letters = MnistSplit::from_raw_with_classes(Split::Test, vec![0; 2 * 784], vec![25, 3], 26)?;
    /// let counts = letters.class_counts();
    /// assert_eq!(counts.len(), 26);
    /// assert_eq!((counts[3], counts[25]), (1, 1));
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.labels {
            counts[label as usize] += 1; // checked below `classes` when made
        }
        counts
    }

    /// Mean and standard deviation of all pixels scaled to [0, 1] — the source of
    /// the familiar normalisation constants 0.1307 and 0.3081.
    pub fn pixel_stats(&self) -> PixelStats {
        let mut histogram = [0u64; 256];
        for &p in &self.images {
            histogram[p as usize] += 1;
        }
        let n = self.images.len().max(1) as f64;
        let (sum, sum_sq) =
            histogram
                .iter()
                .enumerate()
                .fold((0.0, 0.0), |(s, s2), (value, &count)| {
                    let x = value as f64 / 255.0;
                    (s + x * count as f64, s2 + x * x * count as f64)
                });
        let mean = sum / n;
        PixelStats {
            mean,
            std: (sum_sq / n - mean * mean).max(0.0).sqrt(),
        }
    }
}

impl Dataset<MnistItem> for MnistSplit {
    fn get(&self, index: usize) -> Result<MnistItem, burn::data::dataset::DatasetError> {
        let mut image = [0u8; IMAGE_PIXELS];
        image.copy_from_slice(self.image(index));
        Ok(MnistItem {
            image,
            label: self.labels[index],
        })
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}

/// Both splits of MNIST.
///
/// ```no_run
/// let mnist = lenet::data::Mnist::load("data/mnist".as_ref())?;
/// assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mnist {
    /// The 60,000 training images.
    pub train: MnistSplit,
    /// The 10,000 test images.
    pub test: MnistSplit,
}

impl Mnist {
    /// Loads both splits from `dir`, which must hold the four standard files.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with_classes(dir, NUM_CLASSES)
    }

    /// Both splits of a data set in MNIST's files and format with labels
    /// `0..classes` (see [`MnistSplit::load_with_classes`]).
    pub fn load_with_classes(dir: &Path, classes: usize) -> Result<Self> {
        Ok(Self {
            train: MnistSplit::load_with_classes(dir, Split::Train, classes)?,
            test: MnistSplit::load_with_classes(dir, Split::Test, classes)?,
        })
    }

    /// How many classes the labels are drawn from (10 for MNIST).
    pub fn classes(&self) -> usize {
        self.train.classes.max(self.test.classes)
    }
}
