//! Why a picture cannot be read as a digit, and how large a picture may be:
//! plain values, in the core so that [`Error`](crate::Error) names no type of an
//! optional feature (the reading itself is `lenet::predict`'s, feature `predict`).

/// Largest width or height accepted from a file (the decoder refuses larger).
pub const MAX_DIMENSION: u32 = 12_000;
/// The largest picture file read (a phone's photo is a few megabytes).
pub const MAX_PICTURE_FILE_BYTES: u64 = 128 * 1024 * 1024;
/// Largest decoded size in bytes the decoder may allocate.
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// How large a picture `predict::decode_with` accepts: checked against the header's
/// claims before any pixel is decoded, and against every allocation the decoder
/// makes.
///
/// ```
/// use lenet::picture::DecodeLimits;
///
/// assert!(DecodeLimits::SERVER.max_side < DecodeLimits::FILES.max_side);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The longest side, in pixels.
    pub max_side: u32,
    /// The most bytes the decoder may allocate.
    pub max_bytes: u64,
}

impl DecodeLimits {
    /// For a user's own files (`predict::decode`): [`MAX_DIMENSION`] pixels a side (a
    /// 144-megapixel photo), [`MAX_DECODED_BYTES`].
    pub const FILES: Self = Self {
        max_side: MAX_DIMENSION,
        max_bytes: MAX_DECODED_BYTES,
    };
    /// For pictures from a network client (`explore`): 4096 pixels a side, 64 MiB
    /// decoded — far more than a digit shrunk to 28×28 needs, and few enough that
    /// two dozen at once fit in memory.
    pub const SERVER: Self = Self {
        max_side: 4096,
        max_bytes: 64 * 1024 * 1024,
    };
}

/// Why a picture cannot be read as a digit. The path is added by
/// [`Error::Picture`](crate::Error::Picture).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PictureError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not an image in a format this build decodes.
    #[error("not an image in a supported format (PNG, JPEG, BMP, GIF, WebP, PNM, TGA, QOI)")]
    NotAnImage,
    /// The image is larger than the decoder's limits allow (in pixels, or in the
    /// memory its decoding would take).
    #[error(
        "the image is too large ({reason}); the limit is {}×{} pixels and {} MiB decoded",
        limits.max_side,
        limits.max_side,
        limits.max_bytes >> 20
    )]
    TooLarge {
        /// What the decoder found over the limit.
        reason: String,
        /// The limits it was decoded with.
        limits: DecodeLimits,
    },
    /// The decoder failed on the data.
    #[error("the image data is corrupt: {0}")]
    Corrupt(String),
    /// The image has no pixels, or too few to hold a digit.
    #[error("the image is {0}×{1} pixels, too small to hold a digit")]
    TooSmall(u32, u32),
    /// Nothing stands out from the background.
    #[error("no ink found: the picture is blank or its contrast is too low ({contrast:.3})")]
    NoInk {
        /// The contrast measured.
        contrast: f32,
    },
}
