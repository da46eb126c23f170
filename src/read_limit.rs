//! Reading a whole file only when it is as small as what it should hold: a
//! config, a checkpoint's pointer, a model's weights. The size is checked
//! before anything is read, and the read stops at the limit even if the file
//! grows meanwhile, so a file from elsewhere never decides how much memory it
//! takes.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// The largest JSON file the crate reads (a run's `config.json`, a checkpoint's
/// `position.json`): far above any it writes.
pub(crate) const MAX_JSON_BYTES: u64 = 1 << 20;

/// The bytes of `path`, refused with [`Error::FileTooLarge`] when it holds more
/// than `limit` (`what` says what it should be, for the message).
pub(crate) fn read_at_most(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let too_large = |size| Error::FileTooLarge {
        path: path.to_path_buf(),
        size,
        limit,
        what,
    };
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read_at_most`] as UTF-8 text.
pub(crate) fn read_text_at_most(path: &Path, limit: u64, what: &'static str) -> Result<String> {
    String::from_utf8(read_at_most(path, limit, what)?).map_err(|e| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, vec![b' '; 2000]).unwrap();
        let error = read_at_most(&path, 1000, "a run's config").unwrap_err();
        assert!(
            matches!(
                error,
                Error::FileTooLarge {
                    size: 2000,
                    limit: 1000,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("a run's config"), "{error}");
        assert_eq!(read_at_most(&path, 2000, "x").unwrap().len(), 2000);
    }
}
