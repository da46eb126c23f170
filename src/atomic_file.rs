//! Writing files so that a reader never sees half of one.
//!
//! Everything the crate writes (pictures, downloaded data, checkpoints) goes to a
//! temporary name in the same directory and is renamed over the final name only
//! once complete. A crash or a full disk leaves the previous file, or none,
//! never a truncated one.
//!
//! The temporary name is `.<name>.<pid>.<n>.tmp`, `n` counting this process's
//! temporaries, and the file is created only if nothing is there
//! (`create_new`, `O_EXCL`): two threads writing one path write two
//! temporaries, and a symbolic link planted at the name is never followed —
//! the next name is taken instead.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporaries made by this process so far (each gets its own number).
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Names tried before giving up when every one is taken.
const ATTEMPTS: usize = 64;

/// A new temporary path beside `path` (`.<name>.<pid>.<n>.tmp`), and its file,
/// created exclusively; `dir` (`true`) makes a directory instead.
pub(crate) fn create_temporary(path: &Path, dir: bool) -> Result<(PathBuf, Option<File>)> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::InvalidArgument(format!("{} is not a file path", path.display())))?
        .to_string_lossy();
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
        let temp = path.with_file_name(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
        let made = if dir {
            std::fs::create_dir(&temp).map(|()| None)
        } else {
            File::options()
                .write(true)
                .create_new(true)
                .open(&temp)
                .map(Some)
        };
        match made {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Err(Error::io(
        path,
        last.unwrap_or_else(|| std::io::Error::other("no free temporary name")),
    ))
}

/// The process id in a temporary name `.<name>.<pid>.<n>.tmp` made by
/// [`create_temporary`], if `name` is one whose `<name>` starts with `prefix`.
pub(crate) fn temporary_owner(name: &str, prefix: &str) -> Option<u32> {
    let rest = name
        .strip_prefix('.')?
        .strip_prefix(prefix)?
        .strip_suffix(".tmp")?;
    let mut parts = rest.rsplitn(3, '.');
    let _n: u64 = parts.next()?.parse().ok()?;
    parts.next()?.parse().ok()
}

use crate::{Error, Result};

/// A file being written under a temporary name; [`commit`](Self::commit) renames it
/// to its final name, dropping it without committing removes it.
pub(crate) struct AtomicFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates a new temporary file next to `path` (`.<name>.<pid>.<n>.tmp`).
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let (temp_path, file) = create_temporary(path, false)?;
        let file = file.expect("a file was asked for");
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
/// lenet::atomic_file::write_atomic(&path, b"{}")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_symlink_is_not_followed_and_threads_do_not_share_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model.json");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        // Links at the next names this process would take.
        let next = TEMPORARIES.load(Ordering::Relaxed);
        for n in next..next + 8 {
            let name = format!(".model.json.{}.{n}.tmp", std::process::id());
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        std::thread::scope(|scope| {
            for i in 0..4u8 {
                let target = &target;
                scope.spawn(move || write_atomic(target, &[i; 1000]).unwrap());
            }
        });
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let written = std::fs::read(&target).unwrap();
        assert_eq!(written.len(), 1000);
        assert!(
            written.iter().all(|&b| b == written[0]),
            "one writer's bytes"
        );
    }

    #[test]
    fn a_temporarys_owner_is_read_back_from_its_name() {
        let name = format!(".step-00000007.{}.12.tmp", 4321);
        assert_eq!(temporary_owner(&name, "step-"), Some(4321));
        assert_eq!(temporary_owner(".step-00000007.tmp", "step-"), None);
        assert_eq!(temporary_owner(".other.1.2.tmp", "step-"), None);
    }
}
