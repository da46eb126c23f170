//! What a training run does, as one saved value.

use std::fmt;
use std::str::FromStr;

use burn::config::Config;
use burn::optim::AdamConfig;
use serde::{Deserialize, Serialize};

use crate::data::Normalization;
use crate::model::{Architecture, LeNetConfig};
use crate::{Error, Result};

/// How the learning rate changes over the run.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum LrSchedule {
    /// The same rate for every step (the tutorial).
    Constant,
    /// Linear warm-up over `warmup_steps`, then cosine decay to `final_fraction` × the
    /// base rate at the last step.
    WarmupCosine {
        /// Steps of linear warm-up from 0.
        warmup_steps: usize,
        /// Rate at the end, as a fraction of the base rate.
        final_fraction: f64,
    },
}

impl LrSchedule {
    /// The rate at `step` (0-based) of `total_steps`.
    ///
    /// ```
    /// use lenet::train::LrSchedule;
    ///
    /// assert_eq!(LrSchedule::Constant.rate(1e-3, 500, 1000), 1e-3);
    /// let cosine = LrSchedule::WarmupCosine { warmup_steps: 10, final_fraction: 0.0 };
    /// assert!((cosine.rate(1e-3, 0, 1000) - 1e-4).abs() < 1e-12); // 1/10 of the way up
    /// assert!((cosine.rate(1e-3, 10, 1000) - 1e-3).abs() < 1e-9);
    /// assert!(cosine.rate(1e-3, 999, 1000) < 1e-6);
    /// ```
    pub fn rate(&self, base: f64, step: usize, total_steps: usize) -> f64 {
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::WarmupCosine {
                warmup_steps,
                final_fraction,
            } => {
                if step < warmup_steps {
                    return base * (step + 1) as f64 / warmup_steps as f64;
                }
                let span = total_steps.saturating_sub(warmup_steps).max(1) as f64;
                let progress = ((step - warmup_steps) as f64 / span).min(1.0);
                let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
                base * (final_fraction + (1.0 - final_fraction) * cosine)
            }
        }
    }
}

/// Random distortions applied to each training image on the fly: an affine
/// one (rotation, scale, shift, and a slant and a change of width), a smooth
/// warp, the differences between MNIST and users' pictures that
/// preprocessing leaves (stroke width, blur, fainter ink), and other writers'
/// ways of writing a 1, a 7 or a 9. Everything after the shift is off by
/// default; the `improved` recipe uses only the other writers' 1s, 7s and 9s:
/// on the lookalike sets (`examples/lookalikes.rs`) none of the rest read
/// users' pictures better (docs/PREDICT.md).
#[derive(Config, Debug, Copy, PartialEq)]
pub struct Augmentation {
    /// Largest rotation, in degrees, either way.
    #[config(default = 10.0)]
    pub max_rotation_deg: f32,
    /// Largest relative change of size, either way (0.1 = 90%–110%).
    #[config(default = 0.1)]
    pub max_scale: f32,
    /// Largest shift, in pixels, along each axis.
    #[config(default = 2.0)]
    pub max_shift: f32,
    /// Largest horizontal shear (slant), either way, as the horizontal shift per
    /// pixel of height (0.3 ≈ 17°): writers slant their digits differently.
    #[config(default = 0.0)]
    pub max_shear: f32,
    /// Largest change of width against height, as a fraction (0.15: the width
    /// × f and the height ÷ f, for an f drawn from 0.85 to 1.15): writers'
    /// digits are narrower or wider than MNIST's.
    #[config(default = 0.0)]
    pub max_aspect: f32,
    /// Largest displacement, in pixels, of the control points of a smooth
    /// random warp (a 4×4 grid of cells, bilinear in between): writers differ
    /// more than by an affine map.
    #[config(default = 0.0)]
    pub max_warp: f32,
    /// Largest change of stroke width, either way, as a fraction of one grey-level
    /// dilation (or erosion) by a 3×3 square, which widens strokes by 2 px.
    #[config(default = 0.0)]
    pub max_stroke_change: f32,
    /// Largest Gaussian blur, sigma in pixels (drawn uniformly from 0 to it).
    #[config(default = 0.0)]
    pub max_blur: f32,
    /// Faintest ink, as a fraction of full intensity (drawn uniformly from it to 1).
    #[config(default = 1.0)]
    pub min_ink: f32,
    /// Share of the training 1s drawn with a flag at their top, and of the 7s
    /// crossed at their middle, as many writers outside MNIST's make them
    /// (0: none; a 1 slanted forward by more than 40° gets no flag).
    #[config(default = 0.0)]
    pub other_writing: f32,
    /// Share of the training 1s drawn with a foot (a bar along their base),
    /// and of the 9s with a tail curving left from the end of their stem, as
    /// many writers outside MNIST make them (0: none). Drawn after
    /// [`other_writing`](Self::other_writing): a 1 can have both a flag and a foot.
    #[config(default = 0.0)]
    pub feet_and_tails: f32,
}

/// [`Augmentation`]'s fields added after runs were first saved, with the values
/// that give the distortions of the runs saved before them (none of these kinds);
/// [`TrainConfig::from_file`] fills them in, so such a run resumes exactly.
const AUGMENTATION_ADDED: [(&str, f32); 8] = [
    ("max_shear", 0.0),
    ("max_aspect", 0.0),
    ("max_warp", 0.0),
    ("max_stroke_change", 0.0),
    ("max_blur", 0.0),
    ("min_ink", 1.0),
    ("other_writing", 0.0),
    ("feet_and_tails", 0.0),
];

/// [`TrainConfig`]'s fields added after runs were first saved, with the values
/// of the runs saved before them (no label smoothing); [`TrainConfig::from_file`]
/// fills them in, so such a run resumes exactly.
const CONFIG_ADDED: [(&str, f32); 1] = [("label_smoothing", 0.0)];

/// A named set of training settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Recipe {
    /// The tutorial's: Adam (lr 1e-3, PyTorch's epsilon 1e-8), batch 64, 10 epochs,
    /// cross-entropy, pixels in [0, 1], shuffled.
    #[serde(rename = "tutorial")]
    Tutorial,
    /// Beyond the tutorial, the same network: standardised inputs, random affine
    /// distortions, 15% of the 1s flagged and of the 7s crossed and 15% of the
    /// 1s footed and of the 9s given a curved tail (as other writers than
    /// MNIST's write them), warm-up + cosine learning-rate decay, label
    /// smoothing 0.1, 20 epochs.
    #[serde(rename = "improved")]
    Improved,
}

impl Recipe {
    /// Every recipe.
    pub const ALL: [Recipe; 2] = [Recipe::Tutorial, Recipe::Improved];

    /// The name used on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Recipe::Tutorial => "tutorial",
            Recipe::Improved => "improved",
        }
    }

    /// The full configuration of this recipe for `architecture`.
    ///
    /// ```
    /// use lenet::Architecture;
    /// use lenet::train::Recipe;
    ///
    /// let config = Recipe::Tutorial.config(Architecture::LENET5);
    /// assert_eq!((config.epochs, config.batch_size, config.learning_rate), (10, 64, 1e-3));
    /// assert_eq!(config.adam_epsilon(), 1e-8);
    /// ```
    pub fn config(self, architecture: Architecture) -> TrainConfig {
        let base = TrainConfig::new(LeNetConfig::new(architecture));
        match self {
            Recipe::Tutorial => base,
            Recipe::Improved => base
                .with_recipe(Recipe::Improved)
                .with_epochs(20)
                .with_learning_rate(2e-3)
                .with_normalization(Normalization::MNIST)
                .with_augmentation(Some(
                    Augmentation::new()
                        .with_other_writing(0.15)
                        .with_feet_and_tails(0.15),
                ))
                .with_label_smoothing(0.1)
                .with_lr_schedule(LrSchedule::WarmupCosine {
                    warmup_steps: 500,
                    final_fraction: 0.0,
                }),
        }
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Recipe {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unknown recipe `{name}`; available: {}",
                    Self::ALL.map(Recipe::name).join(", ")
                ))
            })
    }
}

/// The recipe of a training run: the network, the optimizer and every
/// hyper-parameter — what it needs to be repeated exactly; saved as `config.json`
/// next to every checkpoint. How the run is carried out (where it writes, how
/// often it reports) is [`RunOptions`](crate::train::RunOptions).
///
/// ```
/// use lenet::Architecture;
/// use lenet::train::Recipe;
///
/// let quick = Recipe::Tutorial
///     .config(Architecture::EXTRA_CONV)
///     .with_epochs(1)
///     .with_limit_train(Some(2_000))
///     .with_seed(3);
/// assert_eq!(quick.model.architecture, Architecture::EXTRA_CONV);
/// ```
#[derive(Config, Debug)]
pub struct TrainConfig {
    /// The network.
    pub model: LeNetConfig,
    /// Which recipe these settings started from (informational).
    #[config(default = "Recipe::Tutorial")]
    pub recipe: Recipe,
    /// Passes over the training set.
    #[config(default = 10)]
    pub epochs: usize,
    /// Images per optimisation step.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Adam's base learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Adam's settings: Burn's, but with PyTorch's epsilon 1e-8 (Burn's own
    /// default is 1e-5). The learning rate is [`learning_rate`](Self::learning_rate)
    /// and its [`lr_schedule`](Self::lr_schedule).
    #[config(default = "AdamConfig::new().with_epsilon(1e-8)")]
    pub optimizer: AdamConfig,
    /// How the rate changes over the run.
    #[config(default = "LrSchedule::Constant")]
    pub lr_schedule: LrSchedule,
    /// Seeds the initial weights, the shuffling and the augmentation.
    #[config(default = 0)]
    pub seed: u64,
    /// Visit the training images in a new random order each epoch.
    #[config(default = true)]
    pub shuffle: bool,
    /// How pixels become inputs; saved so inference uses the same.
    #[config(default = "Normalization::None")]
    pub normalization: Normalization,
    /// Random distortions of training images, if any.
    #[config(default = "None")]
    pub augmentation: Option<Augmentation>,
    /// Label smoothing of the training loss, ε in `[0, 1)`: with k classes, each
    /// image's target is 1 − ε + ε/k on its class and ε/k on each other one,
    /// instead of 1 and 0 (Szegedy et al. 2016; PyTorch's `label_smoothing`).
    /// It keeps the network from growing ever larger logits to be surer of
    /// digits it already reads; in the `improved` recipe it read the pictures
    /// by other hands than MNIST's better (docs/PREDICT.md). 0: plain
    /// cross-entropy (the tutorial's). The test loss is always plain
    /// cross-entropy.
    #[config(default = 0.0)]
    pub label_smoothing: f32,
    /// Train on the first `n` training images only (quick runs, tests).
    #[config(default = "None")]
    pub limit_train: Option<usize>,
    /// Batch size for evaluation (no gradients, so larger is faster).
    #[config(default = 1000)]
    pub eval_batch_size: usize,
}

impl TrainConfig {
    /// Reads a `config.json` written by [`Config::save`] — also one written by an
    /// earlier version of this crate: its `adam_epsilon` becomes the optimizer's
    /// epsilon, fields added since (label smoothing, augmentation fields) take
    /// values that train as it did, and the run's plumbing it held
    /// (`output_dir`, `log_every`, …, now [`RunOptions`](crate::train::RunOptions))
    /// is left to those. Any other missing field is an error, so a file that is
    /// not a training config is never read as one. (Burn's `Config::load` refuses a file with any field
    /// missing.)
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let fail = |e: serde_json::Error| Error::Checkpoint {
            path: path.to_path_buf(),
            reason: crate::CheckpointProblem::Unreadable {
                what: "training config",
                detail: e.to_string(),
            },
        };
        let text = crate::read_limit::read_text_at_most(
            path,
            crate::read_limit::MAX_JSON_BYTES,
            "a training config",
        )?;
        let mut value: serde_json::Value = serde_json::from_str(&text).map_err(fail)?;
        if let Some(fields) = value.as_object_mut() {
            if !fields.contains_key("optimizer")
                && let Some(epsilon) = fields.get("adam_epsilon").and_then(|e| e.as_f64())
            {
                let optimizer = AdamConfig::new().with_epsilon(epsilon as f32);
                fields.insert(
                    "optimizer".into(),
                    serde_json::to_value(optimizer).expect("plain data serialises"),
                );
            }
            for (key, earlier) in CONFIG_ADDED {
                fields.entry(key).or_insert(earlier.into());
            }
            if let Some(serde_json::Value::Object(augmentation)) = fields.get_mut("augmentation") {
                for (key, earlier) in AUGMENTATION_ADDED {
                    augmentation.entry(key).or_insert(earlier.into());
                }
            }
        }
        serde_json::from_value(value).map_err(fail)
    }

    /// Adam's epsilon, as the optimizer's config holds it.
    pub fn adam_epsilon(&self) -> f32 {
        // Burn's `AdamConfig` keeps its fields private; its saved form names them.
        serde_json::to_value(&self.optimizer)
            .ok()
            .and_then(|v| v.get("epsilon").and_then(|e| e.as_f64()))
            .map_or(f32::NAN, |e| e as f32)
    }

    /// Checks the settings make sense before anything is computed.
    pub fn validate(&self) -> Result<()> {
        let fail = |what: String| Err(Error::InvalidArgument(what));
        if self.epochs == 0 {
            return fail("epochs must be at least 1".into());
        }
        if self.batch_size == 0 || self.eval_batch_size == 0 {
            return fail("batch sizes must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return fail(format!(
                "learning rate must be a positive number, got {}",
                self.learning_rate
            ));
        }
        let epsilon = self.adam_epsilon();
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return fail(format!("adam epsilon must be positive, got {epsilon}"));
        }
        check_label_smoothing(self.label_smoothing)?;
        if self.limit_train == Some(0) {
            return fail("the training-image limit must be at least 1".into());
        }
        // The class count is checked against the data, when training starts.
        Ok(())
    }
}

/// A label smoothing the loss accepts: `[0, 1)` (1 would leave no signal of the
/// label at all).
pub(crate) fn check_label_smoothing(smoothing: f32) -> Result<()> {
    if (0.0..1.0).contains(&smoothing) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "label smoothing must be at least 0 and below 1, got {smoothing}"
        )))
    }
}
