//! Saving pictures without ever leaving half a file.

use std::path::Path;

use image::{ImageFormat, RgbImage};

use crate::atomic_file::AtomicFile;
use crate::{Error, Result};

/// Writes `image` as a PNG at `path`, through a temporary file renamed on success.
///
/// ```
/// let dir = std::env::temp_dir();
/// let path = dir.join(format!("lenet-doc-{}.png", std::process::id()));
/// lenet::viz::save_png(&image::RgbImage::new(4, 4), &path)?;
/// assert!(path.is_file());
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn save_png(image: &RgbImage, path: &Path) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    image
        .write_to(file.writer(), ImageFormat::Png)
        .map_err(|source| Error::Image {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
    file.commit()
}
