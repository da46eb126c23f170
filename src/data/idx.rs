//! The IDX file format MNIST is distributed in, raw or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number (two zero bytes, an element-type code,
//! the number of dimensions), one big-endian `u32` per dimension, then the
//! elements in row-major order. MNIST uses unsigned bytes (type `0x08`):
//! images have magic `0x00000803` (`[N, 28, 28]`), labels `0x00000801` (`[N]`).
//!
//! Nothing a header claims is trusted: the data length it implies is checked
//! against the real file size (for gzip, against the most that deflate can expand
//! the file to) before anything is allocated.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::{Error, Result};

/// The element-type code for unsigned bytes, the only one MNIST uses.
const UNSIGNED_BYTE: u8 = 0x08;
/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Deflate cannot expand data by more than about 1032:1; a gzip file of `n`
/// bytes therefore cannot hold more than this many times `n` bytes.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// What an IDX file should contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxKind {
    /// `[N, rows, cols]` unsigned bytes, magic 2051 (`0x00000803`).
    Images,
    /// `[N]` unsigned bytes, magic 2049 (`0x00000801`).
    Labels,
}

impl IdxKind {
    /// Number of dimensions.
    pub fn rank(self) -> usize {
        match self {
            IdxKind::Images => 3,
            IdxKind::Labels => 1,
        }
    }

    /// The magic number as a big-endian `u32` (2051 or 2049).
    pub fn magic(self) -> u32 {
        u32::from_be_bytes([0, 0, UNSIGNED_BYTE, self.rank() as u8])
    }

    fn describe(self) -> &'static str {
        match self {
            IdxKind::Images => "an IDX image file",
            IdxKind::Labels => "an IDX label file",
        }
    }
}

/// Why an IDX file could not be read. The path is added by [`Error::Idx`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdxError {
    /// The file has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The file ends inside its header.
    #[error("the file ends inside its header ({found} of {needed} header bytes)")]
    TruncatedHeader {
        /// Header bytes present.
        found: usize,
        /// Header bytes needed.
        needed: usize,
    },
    /// The magic number is not the one expected.
    #[error(
        "wrong magic number 0x{found:08x} ({found}): expected 0x{expected:08x} ({expected}) for {what}"
    )]
    BadMagic {
        /// The magic number read.
        found: u32,
        /// The magic number expected.
        expected: u32,
        /// What kind of file was expected.
        what: &'static str,
    },
    /// The header promises more data than the file holds.
    #[error(
        "the file is truncated: its header promises {expected} bytes of data, it holds {found}"
    )]
    Truncated {
        /// Data bytes the header promises.
        expected: u64,
        /// Data bytes present.
        found: u64,
    },
    /// The header promises more data than a file of this size could hold.
    #[error("the header claims {claimed} bytes of data, impossible for a {file_len}-byte file")]
    ImpossibleSize {
        /// Data bytes the header claims.
        claimed: u64,
        /// Size of the file on disk.
        file_len: u64,
    },
    /// There are bytes after the data the header describes.
    #[error("{extra} unexpected bytes after the {expected} bytes of data the header describes")]
    TrailingBytes {
        /// Data bytes the header describes.
        expected: u64,
        /// Bytes beyond them (at least this many).
        extra: u64,
    },
    /// The gzip stream cannot be decompressed.
    #[error("corrupt gzip data")]
    Gzip(#[source] std::io::Error),
}

/// A parsed IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file, gzip-compressed or raw (told apart by the first bytes, not
/// the name), and checks it holds `kind`.
///
/// ```no_run
/// use lenet::data::{read_idx, IdxKind};
///
/// let labels = read_idx("data/t10k-labels-idx1-ubyte.gz".as_ref(), IdxKind::Labels)?;
/// assert_eq!(labels.dims, vec![10_000]);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn read_idx(path: &Path, kind: IdxKind) -> Result<IdxArray> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let mut start = [0u8; 2];
    let got = read_up_to(&mut reader, &mut start).map_err(|e| Error::io(path, e))?;
    let head = std::io::Cursor::new(start[..got].to_vec()).chain(reader);
    let is_gzip = got == 2 && start == GZIP_MAGIC;
    let result = if is_gzip {
        let max_len = file_len.saturating_mul(MAX_DEFLATE_RATIO);
        parse(GzDecoder::new(head), kind, max_len, true)
    } else {
        parse(head, kind, file_len, false)
    };
    result.map_err(|reason| match reason {
        ParseFailure::Idx(reason) => Error::Idx {
            path: path.to_path_buf(),
            reason,
        },
        ParseFailure::Io(e) => Error::io(path, e),
    })
}

/// Parses IDX bytes already in memory (raw, not gzip).
///
/// ```
/// use lenet::data::{parse_idx, IdxKind};
///
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1];
/// let labels = parse_idx(&bytes, IdxKind::Labels)?;
/// assert_eq!(labels.dims, vec![3]);
/// assert_eq!(labels.data, vec![7, 2, 1]);
/// # Ok::<(), lenet::data::IdxError>(())
/// ```
pub fn parse_idx(bytes: &[u8], kind: IdxKind) -> std::result::Result<IdxArray, IdxError> {
    parse(bytes, kind, bytes.len() as u64, false).map_err(|failure| match failure {
        ParseFailure::Idx(e) => e,
        ParseFailure::Io(e) => IdxError::Gzip(e),
    })
}

/// Writes `array` as raw IDX bytes; the inverse of [`parse_idx`].
///
/// ```
/// use lenet::data::{encode_idx, parse_idx, IdxArray, IdxKind};
///
/// let array = IdxArray { dims: vec![2], data: vec![4, 9] };
/// let bytes = encode_idx(&array);
/// assert_eq!(parse_idx(&bytes, IdxKind::Labels)?, array);
/// # Ok::<(), lenet::data::IdxError>(())
/// ```
pub fn encode_idx(array: &IdxArray) -> Vec<u8> {
    let mut bytes = vec![0, 0, UNSIGNED_BYTE, array.dims.len() as u8];
    for &d in &array.dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(&array.data);
    bytes
}

enum ParseFailure {
    Idx(IdxError),
    Io(std::io::Error),
}

impl From<IdxError> for ParseFailure {
    fn from(e: IdxError) -> Self {
        ParseFailure::Idx(e)
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// `max_data_len` bounds what the header may claim; `gzip` says how read errors
/// are reported (a failing decoder means corrupt data, not a failing disk).
fn parse(
    mut reader: impl Read,
    kind: IdxKind,
    max_data_len: u64,
    gzip: bool,
) -> std::result::Result<IdxArray, ParseFailure> {
    let io = |e: std::io::Error| {
        if gzip {
            ParseFailure::Idx(IdxError::Gzip(e))
        } else {
            ParseFailure::Io(e)
        }
    };
    let header_len = 4 + 4 * kind.rank();
    let mut header = vec![0u8; header_len];
    let found = read_up_to(&mut reader, &mut header).map_err(io)?;
    if found == 0 {
        return Err(IdxError::Empty.into());
    }
    if found >= 4 {
        let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        if magic != kind.magic() {
            return Err(IdxError::BadMagic {
                found: magic,
                expected: kind.magic(),
                what: kind.describe(),
            }
            .into());
        }
    }
    if found < header_len {
        return Err(IdxError::TruncatedHeader {
            found,
            needed: header_len,
        }
        .into());
    }
    let dims: Vec<usize> = header[4..]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let data_len = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .unwrap_or(u64::MAX);
    let header_bytes = if gzip { 0 } else { header_len as u64 };
    let available = max_data_len.saturating_sub(header_bytes);
    if data_len > available {
        return Err(if gzip {
            IdxError::ImpossibleSize {
                claimed: data_len,
                file_len: max_data_len / MAX_DEFLATE_RATIO,
            }
        } else {
            IdxError::Truncated {
                expected: data_len,
                found: available,
            }
        }
        .into());
    }
    // `data_len` is now bounded by the file's real size, so allocating it is safe.
    let mut data = vec![0u8; data_len as usize];
    let got = read_up_to(&mut reader, &mut data).map_err(io)?;
    if (got as u64) < data_len {
        return Err(IdxError::Truncated {
            expected: data_len,
            found: got as u64,
        }
        .into());
    }
    let mut probe = [0u8; 64];
    let extra = read_up_to(&mut reader, &mut probe).map_err(io)?;
    if extra > 0 {
        return Err(IdxError::TrailingBytes {
            expected: data_len,
            extra: extra as u64,
        }
        .into());
    }
    Ok(IdxArray { dims, data })
}
