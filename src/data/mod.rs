//! MNIST from disk (or the network) to batches: IDX parsing, the two splits as
//! Burn datasets, batching (on the host, or gathered on the device), the data
//! directory and downloading.

mod batcher;
mod device_split;
mod dir;
#[cfg(feature = "download")]
mod download;
mod idx;
mod mnist;

pub(crate) use batcher::images_tensor;
pub use batcher::{MnistBatch, MnistBatcher, Normalization};
pub use device_split::DeviceSplit;
pub use dir::{DATA_DIR_ENV, data_dir};
#[cfg(feature = "download")]
pub use download::{Downloader, MNIST_MIRRORS, RemoteFile, download_mnist, mnist_files};
pub use idx::{IdxArray, IdxError, IdxKind, encode_idx, parse_idx, read_idx};
pub use mnist::{
    IMAGE_PIXELS, IMAGE_SIDE, Mnist, MnistItem, MnistSplit, NUM_CLASSES, PixelStats, Split,
    standard_files,
};
