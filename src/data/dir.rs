//! Where the data lives when nobody says.

use std::path::{Path, PathBuf};

/// The environment variable that names the MNIST directory.
pub const DATA_DIR_ENV: &str = "LENET_DATA_DIR";

/// The MNIST directory: `explicit` if given, else `$LENET_DATA_DIR`, else a
/// per-user cache directory (`~/.cache/lenet/mnist` on Linux).
///
/// ```
/// use std::path::Path;
///
/// let dir = lenet::data::data_dir(Some(Path::new("/data/mnist")));
/// assert_eq!(dir, Path::new("/data/mnist"));
/// ```
pub fn data_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("lenet")
        .join("mnist")
}
