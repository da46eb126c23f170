//! Flags and plumbing shared by the example command lines.
#![allow(dead_code)] // each example uses a different subset

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use lenet::data::{Mnist, MnistSplit, Split};
use lenet::{Architecture, DeviceChoice, SavedModel};

/// Where MNIST is.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Directory holding the four MNIST files (raw or .gz). Default:
    /// $LENET_DATA_DIR, else a per-user cache directory (downloaded on first use).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Download missing files into --data-dir (always done for the default directory).
    #[arg(long)]
    pub download: bool,
}

impl DataArgs {
    /// Loads MNIST, downloading only where the user allowed it (with a progress
    /// bar on a terminal).
    pub fn load(&self) -> lenet::Result<Mnist> {
        let downloader = lenet::data::Downloader {
            progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            ..lenet::data::Downloader::default()
        };
        match (&self.data_dir, self.download) {
            (Some(dir), false) => Mnist::load(dir),
            (dir, _) => Mnist::load_or_download_with(dir.as_deref(), &downloader),
        }
    }

    /// The directory that will be used.
    pub fn dir(&self) -> PathBuf {
        lenet::data::data_dir(self.data_dir.as_deref())
    }

    /// Loads the MNIST a run is resumed on: `--data-dir` where given, else the
    /// directory the run recorded when it started (never a download).
    pub fn load_recorded(&self, recorded: Option<&Path>) -> lenet::Result<Mnist> {
        match self.recorded(recorded)? {
            Some(dir) => Mnist::load(dir),
            None => self.load(),
        }
    }

    /// One split, for a model whose run recorded its data directory (or not):
    /// `--data-dir` where given, else the recorded directory (never a
    /// download), else $LENET_DATA_DIR or the cache, downloading only this
    /// split's two files where the user allowed downloads.
    pub fn load_split(&self, split: Split, recorded: Option<&Path>) -> lenet::Result<MnistSplit> {
        if let Some(dir) = self.recorded(recorded)? {
            return MnistSplit::load(dir, split);
        }
        let downloader = lenet::data::Downloader {
            progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            ..lenet::data::Downloader::default()
        };
        match (&self.data_dir, self.download) {
            (Some(dir), false) => MnistSplit::load(dir, split),
            (dir, _) => MnistSplit::load_or_download_with(dir.as_deref(), split, &downloader),
        }
    }

    /// The directory a run recorded, when `--data-dir` does not say otherwise;
    /// an error with the way out when it is gone.
    fn recorded<'a>(&self, recorded: Option<&'a Path>) -> lenet::Result<Option<&'a Path>> {
        let (None, Some(dir)) = (&self.data_dir, recorded) else {
            return Ok(None);
        };
        if !dir.is_dir() {
            return Err(lenet::Error::InvalidArgument(format!(
                "this run was trained on MNIST from {}, which is no longer there; \
                 pass --data-dir DIR to say where it is now",
                dir.display()
            )));
        }
        Ok(Some(dir))
    }
}

/// `--model`'s parser: the names `--help` lists, the spellings
/// `Architecture::from_str` also accepts (`LeNet5`, `self_lenet`, …), and any
/// spec (`conv8k3p1-relu-pool-fc10`).
pub fn architecture() -> ArchitectureParser {
    ArchitectureParser
}

/// See [`architecture`].
#[derive(Clone, Copy)]
pub struct ArchitectureParser;

impl clap::builder::TypedValueParser for ArchitectureParser {
    type Value = Architecture;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Architecture, clap::Error> {
        let name = arg.map_or_else(|| "--model".to_string(), |a| a.to_string());
        value.to_string_lossy().parse().map_err(|e: lenet::Error| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value for {name}: {e}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = Architecture::NAMES.map(clap::builder::PossibleValue::new);
        Some(Box::new(names.into_iter()))
    }
}

/// What the examples that run a network do first: take glibc's `malloc` settings
/// for training loops (the library changes nothing process-wide by itself), and
/// warn when this build is unoptimised.
pub fn start() {
    lenet::train::tune_allocator();
    warn_if_unoptimized();
}

/// Says on stderr, once, when this build has no optimisations (then training is
/// far slower; the repository's dev profile is optimised, so only a changed
/// profile gets here).
pub fn warn_if_unoptimized() {
    if matches!(env!("LENET_BUILD_OPT_LEVEL"), "0" | "1") {
        eprintln!(
            "note: built without optimisations: training is about 70x slower; use `--release`"
        );
    }
}

/// A saved model and where to run it.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Trained weights: .bpk (with the config.json train_mnist writes beside it),
    /// or the tutorial's PyTorch .pth, or .safetensors. `predict` and `lookalikes`
    /// take several (`--checkpoint A --checkpoint B`): an ensemble.
    #[arg(long, value_name = "FILE", required = true)]
    pub checkpoint: Vec<PathBuf>,
    /// Network, where the file does not say (a .bpk without config.json); must agree otherwise.
    #[arg(long, value_parser = architecture())]
    pub model: Option<Architecture>,
    /// Backend: auto, flex, ndarray, wgpu, vulkan.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
}

/// The data directory the run of `checkpoint` recorded (in the options saved
/// beside it), if it has one.
pub fn recorded_data_dir(checkpoint: &Path) -> Option<PathBuf> {
    lenet::RunOptions::saved_in(checkpoint.parent()?)
        .ok()?
        .data_dir
}

impl ModelArgs {
    /// The first checkpoint given (the only one, for commands that take one).
    pub fn first(&self) -> &Path {
        &self.checkpoint[0]
    }

    /// The data directory the first checkpoint's run recorded, if it has one.
    pub fn recorded_data_dir(&self) -> Option<PathBuf> {
        recorded_data_dir(self.first())
    }

    /// Loads the one model given on the chosen device, noting when the input
    /// normalisation had to be assumed.
    pub fn load(&self) -> lenet::Result<SavedModel> {
        if self.checkpoint.len() > 1 {
            return Err(lenet::Error::InvalidArgument(format!(
                "this command reads one --checkpoint, not {}",
                self.checkpoint.len()
            )));
        }
        self.load_one(self.first(), &self.device.device()?)
    }

    /// Loads every model given (an ensemble), on the chosen device.
    pub fn load_all(&self) -> lenet::Result<Vec<SavedModel>> {
        let device = self.device.device()?;
        self.checkpoint
            .iter()
            .map(|path| self.load_one(path, &device))
            .collect()
    }

    fn load_one(
        &self,
        path: &Path,
        device: &lenet::burn::tensor::Device,
    ) -> lenet::Result<SavedModel> {
        let saved = SavedModel::load(path, self.model.clone(), device)?;
        if !saved.normalization_recorded {
            eprintln!(
                "note: no config.json beside {}; assuming inputs in [0, 1] (the tutorial's ToTensor)",
                path.display()
            );
        }
        Ok(saved)
    }
}

/// Creates `dir` (and its parents) or says which directory could not be made.
pub fn create_out_dir(dir: &Path) -> lenet::Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| lenet::Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Prints the error as one line on standard error and turns it into an exit code.
pub fn finish(result: lenet::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", with_hint(&error));
            ExitCode::FAILURE
        }
    }
}

/// The library's message with its causes, and where the command line can help,
/// the flag that does (the library's own messages name no flags: its callers
/// have none).
pub fn with_hint(error: &lenet::Error) -> String {
    use lenet::Error;
    let hint = match error {
        Error::MissingData { .. } => Some(
            "--download fetches them; --data-dir DIR or $LENET_DATA_DIR says where they are"
                .to_string(),
        ),
        Error::NoGpuAdapter { .. } => Some("--device flex".to_string()),
        Error::Diverged { suggested, .. } => Some(format!("--lr {suggested:e}")),
        Error::Interrupted {
            checkpoint: Some(_),
            ..
        } => Some("continue with --resume DIR".to_string()),
        Error::ArchitectureNotKnown { .. } => {
            Some(format!("--model {}", Architecture::NAMES.join("|")))
        }
        _ => None,
    };
    let message = error.full_message();
    match hint {
        Some(hint) => format!("{message} [{hint}]"),
        None => message,
    }
}
