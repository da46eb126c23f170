//! How a run is carried out, beside what it learns.

use std::path::{Path, PathBuf};

use burn::config::Config;

use crate::read_limit::{MAX_JSON_BYTES, read_text_at_most};
use crate::{CheckpointProblem, Error, Result};

/// How a training run is carried out, beside what it learns ([`TrainConfig`],
/// the recipe): where its checkpoints go, how often it reports and checkpoints,
/// and which of the crate's implementations it takes — the plumbing, which Burn's
/// guide passes beside its config as `artifact_dir`. Saved with every checkpoint
/// as `run.json` (without `output_dir`: a resumed run writes where its checkpoint
/// is), so that a resumed run goes on as it went.
///
/// ```
/// use lenet::train::RunOptions;
///
/// let options = RunOptions::new()
///     .with_output_dir(Some("runs/lenet5".into()))
///     .with_checkpoint_every(500);
/// assert_eq!(options.log_every, 100);
/// ```
///
/// [`TrainConfig`]: crate::train::TrainConfig
#[derive(Config, Debug, PartialEq)]
pub struct RunOptions {
    /// Where checkpoints go (`<dir>/checkpoints/`); `None` writes none.
    #[config(default = "None")]
    pub output_dir: Option<PathBuf>,
    /// Write a checkpoint every this many steps (0: only at the end of each epoch).
    #[config(default = 0)]
    pub checkpoint_every: usize,
    /// Read the loss and accuracy back from the device and report the loss to
    /// the observer every this many steps (0: at the end of each epoch only).
    /// Between reads the steps do not wait for the device; see
    /// [`StepReport::loss`](crate::train::StepReport::loss).
    #[config(default = 100)]
    pub log_every: usize,
    /// Flush subnormal floats to zero on every thread while training
    /// ([`FlushSubnormals`](crate::subnormals::FlushSubnormals)): on CPUs where
    /// each costs a microcode assist, Adam's moments of dead units otherwise slow
    /// every epoch after the first. Changes no value above 1.2e-38.
    #[config(default = true)]
    pub flush_subnormals: bool,
    /// Where the caller loaded the training data from, if it says (training does
    /// not read it; it is saved with every checkpoint, so that a run resumed
    /// later can find its data again: see [`Checkpoint`](crate::train::Checkpoint)).
    #[config(default = "None")]
    pub data_dir: Option<PathBuf>,
    /// Upload the training and test images to the device once and gather each
    /// batch there ([`DeviceSplit`](crate::data::DeviceSplit)) instead of
    /// building batches on the host: `None` does so on every backend but Flex
    /// and NdArray (a GPU, or a software Vulkan driver), where it saves a
    /// transfer per step, and not on those two CPU backends, where it only costs
    /// memory (docs/PERFORMANCE.md). A run with augmentation always distorts on
    /// the host. Both give the same inputs, bit for bit.
    #[config(default = "None")]
    pub data_on_device: Option<bool>,
    /// Run the model's conv stages on Flex as this crate's fused operation
    /// (`Some(true)`) or as Burn's own layers (`Some(false)`: to measure what the
    /// fused kernels gain; they round differently, so the weights differ in the
    /// last bits); `None` takes the default for new models
    /// ([`fused_kernels_by_default`](crate::model::fused_kernels_by_default)).
    #[config(default = "None")]
    pub fused_kernels: Option<bool>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The name of the file in a checkpoint (and a saved run) that holds its options.
pub(crate) const RUN_FILE: &str = "run.json";

impl RunOptions {
    /// The options to save beside a checkpoint: all but `output_dir`.
    pub(crate) fn to_saved_json(&self) -> String {
        self.clone().with_output_dir(None).to_string()
    }

    /// The options saved in `dir` (a checkpoint's directory, or a run that
    /// [`Trained::save`](crate::Trained::save) wrote): its `run.json`, or — in one
    /// written before options had a file of their own — the same fields from its
    /// `config.json`, where they sat. A field a file lacks takes its default;
    /// `output_dir` is always `None`; a file that cannot be read as options is an
    /// error.
    ///
    /// ```no_run
    /// let options = lenet::RunOptions::saved_in("runs/lenet5".as_ref())?;
    /// println!("trained on MNIST from {:?}", options.data_dir);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn saved_in(dir: &Path) -> Result<Self> {
        let own = dir.join(RUN_FILE);
        let path = if own.is_file() {
            own
        } else {
            dir.join("config.json")
        };
        Self::from_json_file(&path)
    }

    /// Reads the fields of `RunOptions` from the JSON object in `path`, each
    /// missing one taking its default and any other key ignored.
    fn from_json_file(path: &Path) -> Result<Self> {
        let fail = |detail: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason: CheckpointProblem::Unreadable {
                what: "run options",
                detail,
            },
        };
        let text = read_text_at_most(path, MAX_JSON_BYTES, "run options")?;
        let file: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
        let serde_json::Value::Object(file) = file else {
            return Err(fail("not a JSON object".into()));
        };
        let serde_json::Value::Object(mut fields) =
            serde_json::to_value(RunOptions::new()).expect("plain data serialises")
        else {
            unreachable!("a struct serialises as an object")
        };
        for (key, value) in fields.iter_mut() {
            if let Some(saved) = file.get(key) {
                *value = saved.clone();
            }
        }
        let mut options: Self = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| fail(e.to_string()))?;
        // A resumed run writes where its checkpoint is, whatever a file says.
        options.output_dir = None;
        Ok(options)
    }
}
