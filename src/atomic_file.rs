//! Writing files so that a reader never sees half of one.
//!
//! Everything the crate writes (pictures, downloaded data, checkpoints) goes to a
//! temporary name in the same directory and is renamed over the final name only
//! once complete. A crash or a full disk leaves the previous file, or none,
//! never a truncated one.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A file being written under a temporary name; [`commit`](Self::commit) renames it
/// to its final name, dropping it without committing removes it.
pub(crate) struct AtomicFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates `<dir>/.<name>.<pid>.tmp` next to `path`.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let file_name = path
            .file_name()
            .ok_or_else(|| {
                Error::InvalidArgument(format!("{} is not a file path", path.display()))
            })?
            .to_string_lossy();
        let temp_path = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        let file = File::create(&temp_path).map_err(|e| Error::io(path, e))?;
        Ok(Self {
            final_path: path.to_path_buf(),
            temp_path,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// The final path, for error messages.
    #[cfg(feature = "download")]
    pub(crate) fn path(&self) -> &Path {
        &self.final_path
    }

    /// The writer for the temporary file.
    pub(crate) fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .expect("writer is present until commit")
    }

    /// Flushes, syncs and renames the temporary file to the final name.
    pub(crate) fn commit(mut self) -> Result<()> {
        let writer = self.writer.take().expect("commit is called once");
        let file = writer
            .into_inner()
            .map_err(|e| Error::io(&self.final_path, e.into_error()))?;
        file.sync_all()
            .map_err(|e| Error::io(&self.final_path, e))?;
        drop(file);
        std::fs::rename(&self.temp_path, &self.final_path)
            .map_err(|e| Error::io(&self.final_path, e))?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it, renamed
/// over `path` only once complete, so a reader (or a crash) never sees half a file.
///
/// ```
/// let path = std::env::temp_dir().join(format!("lenet-doc-{}.json", std::process::id()));
/// lenet::write_atomic(&path, b"{}")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"{}");
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = AtomicFile::create(path)?;
    file.writer()
        .write_all(bytes)
        .map_err(|e| Error::io(path, e))?;
    file.commit()
}
