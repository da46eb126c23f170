//! One error type for the whole crate.
//!
//! Every variant that concerns a file carries its path, so a message printed by a
//! command line always says *which* file is wrong and *why*, without a backtrace.

use std::path::PathBuf;

/// What can go wrong in `lenet`.
///
/// Library functions return [`Result<T>`](crate::Result). A variant that wraps
/// another error (an I/O error, an IDX or picture problem) says what failed in
/// its `Display` and returns the cause from [`source`](std::error::Error::source),
/// never both, so that `anyhow`, `eyre` and the like print each cause once; for
/// the whole chain on one line, as the examples print it, use
/// [`full_message`](Error::full_message).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed at the operating-system level.
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A file is not a valid IDX file (the format MNIST is distributed in).
    #[error("{}: not a valid IDX file", path.display())]
    Idx {
        /// The file that failed to parse.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        reason: crate::data::IdxError,
    },

    /// A file is valid IDX but does not hold what an MNIST split needs
    /// (wrong image size, a label outside 0–9, counts that disagree).
    #[error("{}: {reason}", path.display())]
    InvalidDataset {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// Some of the four MNIST files are not in the data directory.
    #[error(
        "{}: missing {}; expected the four standard MNIST files ({}), raw or gzip-compressed. \
         Download them (`lenet::data::download_mnist`, cargo feature `download`), or load a directory that has them \
         ($LENET_DATA_DIR names the default one)",
        dir.display(),
        missing.join(", "),
        expected.join(", ")
    )]
    MissingData {
        /// The directory that was searched.
        dir: PathBuf,
        /// The files that were not found.
        missing: Vec<String>,
        /// Every file the directory should hold.
        expected: Vec<String>,
    },

    /// No mirror delivered a file whose checksums match the published ones.
    #[error("could not download {file}: {}", attempts.join("; "))]
    Download {
        /// The file being downloaded.
        file: String,
        /// One line per mirror tried: the URL and why it failed.
        attempts: Vec<String>,
    },

    /// A device name that this build does not know or did not compile in.
    #[error("unknown or disabled device `{name}`; available in this build: {available}")]
    UnknownDevice {
        /// The name that was asked for.
        name: String,
        /// The names this build accepts, comma separated.
        available: String,
    },

    /// A GPU backend was asked for, but the machine offers no adapter for it (no
    /// GPU, or no Vulkan/Metal/DX12 driver installed).
    #[error(
        "no GPU adapter for device `{name}`: {reason}. Use a CPU backend instead: {cpu_alternatives}"
    )]
    NoGpuAdapter {
        /// The device name that was asked for (`wgpu`, `vulkan`).
        name: String,
        /// What WGPU said when it looked for an adapter.
        reason: String,
        /// The CPU backends this build has, comma separated.
        cpu_alternatives: String,
    },

    /// An architecture name that does not exist.
    #[error(
        "unknown model `{name}`; available: {available}, or a spec such as \
         conv6k5p2-relu-pool-fc10"
    )]
    UnknownArchitecture {
        /// The name that was asked for.
        name: String,
        /// The accepted names, comma separated.
        available: String,
    },

    /// An architecture spec (or a list of layers built in code) that is not a
    /// network: an unknown token, a zero size, a kernel larger than its input, a
    /// last layer that is not the classes' `fc`.
    #[error("invalid architecture `{spec}`: token {position} `{token}`: {reason}")]
    InvalidSpec {
        /// The whole spec.
        spec: String,
        /// 1-based position of the token among those written.
        position: usize,
        /// The token.
        token: String,
        /// What is wrong with it.
        reason: crate::model::SpecProblem,
    },

    /// A picture cannot be read as a digit.
    #[error("{}: cannot be read as a digit", path.display())]
    Picture {
        /// The picture.
        path: PathBuf,
        /// Why.
        #[source]
        reason: crate::picture::PictureError,
    },

    /// Encoding or decoding a picture failed (the image codecs' error, under
    /// the features that read or write pictures).
    #[error("{}: cannot decode or encode the picture", path.display())]
    Image {
        /// The picture involved.
        path: PathBuf,
        /// The codec's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A model, optimizer, config or checkpoint file could not be read or
    /// written, or does not fit the model it is loaded into.
    #[error("{}: {reason}", path.display())]
    Checkpoint {
        /// The file or checkpoint directory.
        path: PathBuf,
        /// What went wrong.
        reason: CheckpointProblem,
    },

    /// Weights that do not say which architecture they are for (a `.bpk` without
    /// the `config.json` beside it), loaded without the caller saying.
    #[error("{}: no config.json beside the weights: say which architecture they are for", path.display())]
    ArchitectureNotKnown {
        /// The weights file.
        path: PathBuf,
    },

    /// The training loss stopped being a finite number.
    #[error(
        "training diverged: the loss became {loss} at step {step} (epoch {epoch}) with learning \
         rate {learning_rate:e}; try a lower learning rate (e.g. {suggested:e}). \
         Checkpoints written before this step are intact"
    )]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based global step.
        step: usize,
        /// The non-finite loss.
        loss: f64,
        /// The learning rate of that step.
        learning_rate: f64,
        /// A rate ten times lower.
        suggested: f64,
    },

    /// Training was stopped on request before it finished.
    #[error("training stopped after step {step}{}", match checkpoint {
        Some(dir) => format!("; checkpoint in {} (training can resume from it)", dir.display()),
        None => String::new(),
    })]
    Interrupted {
        /// Steps completed.
        step: usize,
        /// The checkpoint written at the stop, if the run has an output directory.
        checkpoint: Option<PathBuf>,
    },

    /// A file is larger than what it should hold could ever be (a config of
    /// megabytes, weights larger than their architecture's parameters): refused
    /// before it is read.
    #[error("{}: {size} bytes, more than {limit} ({what} is never larger)", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The most it may hold.
        limit: u64,
        /// What it should be.
        what: &'static str,
    },

    /// A labels file (`labels.csv`: a picture's file name and its label per
    /// line) is refused; `line` 0 for the file as a whole.
    #[error(
        "{}{}: {problem}",
        path.display(),
        if *line > 0 { format!(":{line}") } else { String::new() }
    )]
    Labels {
        /// The labels file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        problem: LabelsProblem,
    },

    /// A server (`lenet::explore`) could not listen or serve.
    #[error("the server cannot {action}")]
    Server {
        /// What it was doing (`listen on 127.0.0.1:8000`, `serve`).
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An argument is outside what the function accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Why a labels file is refused, with the line it is on: carried by
/// [`Error::Labels`]. Core, like [`CheckpointProblem`], so that
/// `Error` names no feature's type; the labels themselves are
/// `lenet::predict::Labels`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelsProblem {
    /// A line that is not a picture's file name, a comma and its label.
    #[error("not `file name,label`")]
    NotNameAndLabel,
    /// A label that is not a whole number from 0.
    #[error("label `{0}` is not a whole number from 0")]
    NotALabel(String),
    /// A label past the model's last class.
    #[error("label {label}, but the model reads only {classes} classes, from 0")]
    PastTheClasses {
        /// The label.
        label: usize,
        /// The model's classes.
        classes: usize,
    },
    /// The same file name twice.
    #[error("`{name}` is labelled on line {first} already")]
    Twice {
        /// The file name.
        name: String,
        /// The line that labelled it first.
        first: usize,
    },
    /// A name with a folder in it: pictures are matched by their file name.
    #[error("`{0}` is not a file name alone (pictures are matched by their file name)")]
    NotAFileName(String),
    /// Two pictures given with the file name a line labels.
    #[error("`{name}` names both {} and {}", first.display(), second.display())]
    GivenTwice {
        /// The file name.
        name: String,
        /// The first picture with it.
        first: PathBuf,
        /// The second.
        second: PathBuf,
    },
    /// No labelled picture in the file.
    #[error("no `file name,label` line")]
    Empty,
}

/// Why a model, optimizer, config or checkpoint file is refused: one value per
/// kind of failure, carried by [`Error::Checkpoint`] with the file's path.
///
/// ```
/// use lenet::{CheckpointProblem, Error};
///
/// let error = lenet::LeNet::load(
///     &lenet::LeNetConfig::new(lenet::Architecture::LENET5),
///     "/no/such/model.bpk".as_ref(),
///     &lenet::device("flex")?,
/// )
/// .unwrap_err();
/// assert!(matches!(error, Error::Checkpoint { reason: CheckpointProblem::NoSuchFile, .. }));
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointProblem {
    /// The file is not there.
    #[error("no such file")]
    NoSuchFile,
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are none of the weight formats.
    #[error("not a model file: expected Burn .bpk, PyTorch .pth or .safetensors")]
    NotAModelFile,
    /// The file is of its format but cannot be read as such.
    #[error("not a readable {what}: {detail}")]
    Unreadable {
        /// `.bpk model file`, `PyTorch checkpoint`, `training config`, …
        what: &'static str,
        /// What the reader said.
        detail: String,
    },
    /// The file holds another architecture than the one asked for.
    #[error("this file holds {found} (per {by}), not {asked}")]
    OtherArchitecture {
        /// What the file holds.
        found: String,
        /// What was asked for.
        asked: String,
        /// What says so: `config.json`, its keys and shapes, its metadata.
        by: String,
    },
    /// The tensors are not those of the architecture (missing, unexpected or
    /// misshapen keys, at most eight listed).
    #[error("not a state_dict of {}: {}", match architecture { Some(a) => a.as_str(), None => "a named architecture (say which spec it is for if it is another); compared with lenet5" }, problems.join("; "))]
    NotTheArchitecture {
        /// The architecture asked for, if one was.
        architecture: Option<String>,
        /// Each difference, in words.
        problems: Vec<String>,
    },
    /// A tensor of an element type the crate does not read.
    #[error("tensor {tensor} is {dtype}; only {supported} weights are supported")]
    UnsupportedType {
        /// Its key.
        tensor: String,
        /// Its element type.
        dtype: String,
        /// What is read.
        supported: &'static str,
    },
    /// A tensor's bytes could not be read.
    #[error("cannot read tensor {tensor}: {detail}")]
    TensorUnreadable {
        /// Its key.
        tensor: String,
        /// Why.
        detail: String,
    },
    /// A metadata entry that does not parse.
    #[error("unreadable {key} in the metadata: {detail}")]
    BadMetadata {
        /// Its key.
        key: &'static str,
        /// Why.
        detail: String,
    },
    /// Weights that do not fit the model built for them.
    #[error(
        "these weights do not fit the {architecture} model (was it saved from another architecture?): {detail}"
    )]
    DoesNotFit {
        /// The architecture built.
        architecture: String,
        /// What the loader said.
        detail: String,
    },
    /// Nothing that names a checkpoint.
    #[error(
        "no checkpoint here: expected a run directory with checkpoints/latest, a checkpoints \
         directory, or a step-* checkpoint directory"
    )]
    NoCheckpoint,
    /// Writing the file failed before it reached the disk.
    #[error("cannot write it: {detail}")]
    NotWritten {
        /// Why.
        detail: String,
    },
}

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The message and every cause under it, joined by `": "` — one line for a
    /// command line or a log. A cause whose text is already in the line (some
    /// other crates' errors repeat theirs) is not added again.
    ///
    /// ```
    /// let error = lenet::data::Mnist::load("/no/such/dir".as_ref()).unwrap_err();
    /// let line = error.full_message();
    /// assert!(line.starts_with(&error.to_string()));
    /// ```
    pub fn full_message(&self) -> String {
        let mut line = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let text = error.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = error.source();
        }
        line.replace(['\n', '\r'], " ")
    }

    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's messages speak to a library caller: no command-line flags
    /// (the examples add their own hints).
    #[test]
    fn messages_name_no_command_line_flags() {
        let errors = [
            Error::MissingData {
                dir: "/data".into(),
                missing: vec!["t10k-images-idx3-ubyte".into()],
                expected: vec!["t10k-images-idx3-ubyte".into()],
            },
            Error::NoGpuAdapter {
                name: "wgpu".into(),
                reason: "no adapter".into(),
                cpu_alternatives: "flex".into(),
            },
            Error::Diverged {
                epoch: 1,
                step: 2,
                loss: f64::NAN,
                learning_rate: 1.0,
                suggested: 0.1,
            },
            Error::Interrupted {
                step: 3,
                checkpoint: Some("/run/checkpoints/step-3".into()),
            },
        ];
        for error in errors {
            let message = error.to_string();
            assert!(!message.contains("--"), "{message}");
        }
    }

    /// A wrapped cause is printed once: by `full_message` (and anyhow's chain),
    /// not also by the wrapper's `Display`.
    #[test]
    fn a_cause_is_in_the_chain_not_in_the_message() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "the cause itself");
        let errors = vec![
            Error::io("/data/file", io()),
            Error::Idx {
                path: "/data/file".into(),
                reason: crate::data::IdxError::Empty,
            },
        ];
        let errors = errors.into_iter().chain([
            Error::Picture {
                path: "/data/file".into(),
                reason: crate::picture::PictureError::Empty,
            },
            Error::Image {
                path: "/data/file".into(),
                source: Box::new(io()),
            },
        ]);
        for error in errors {
            let cause = std::error::Error::source(&error)
                .expect("a wrapped cause")
                .to_string();
            let message = error.to_string();
            assert!(message.contains("/data/file"), "{message}");
            assert!(!message.contains(&cause), "{message} repeats {cause}");
            assert_eq!(error.full_message(), format!("{message}: {cause}"));
        }
        let gzip = Error::Idx {
            path: "/data/file".into(),
            reason: crate::data::IdxError::Gzip(io()),
        };
        assert_eq!(
            gzip.full_message(),
            "/data/file: not a valid IDX file: corrupt gzip data: the cause itself"
        );
    }
}
