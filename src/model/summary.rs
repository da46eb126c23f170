//! A torchinfo-style table of a model, from its architecture's layer list.

use std::fmt;

use serde::Serialize;

use super::architecture::Architecture;
use super::layer::LayerKind;
use super::lenet::LeNet;
use crate::table::{Align, Table, thousands};

/// Bytes in one f32 value.
const F32_BYTES: u64 = 4;
/// The summary's megabyte: 10^6 bytes, as torchinfo reports.
const MEGABYTE: f64 = 1e6;

/// One row of the [`Summary`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSummary {
    /// Stable layer name (`conv1`, `relu1`, ...).
    pub name: String,
    /// What the layer does.
    pub kind: LayerKind,
    /// Index of the same layer in the PyTorch tutorial's `nn.Sequential` (`net.<index>`).
    pub index: usize,
    /// Hyper-parameters, e.g. `1→6, 5×5, pad 2`.
    pub details: String,
    /// Output shape, batch first.
    pub output_shape: Vec<usize>,
    /// Learned parameters in this layer.
    pub params: usize,
    /// Multiply-accumulate operations for the whole batch.
    pub mult_adds: u64,
}

/// What a model is made of: shapes, parameters and multiply-adds of every layer,
/// followed through the architecture's list ([`Architecture::plan`]) — nothing is
/// run and nothing is written by hand.
///
/// `Display` prints a table like torchsummary/torchinfo; the value also
/// serialises to JSON.
///
/// ```
/// use lenet::{Architecture, LeNetConfig, Summary};
///
/// let device = lenet::device("flex")?;
/// let model = LeNetConfig::new(Architecture::LENET5).init(&device);
/// let summary = Summary::of(&model);
/// assert_eq!(summary.total_params, 61_706);
/// assert_eq!(summary.layers[0].output_shape, vec![1, 6, 28, 28]);
/// println!("{summary}");
///
/// // Any architecture, without building a model.
/// let mine = Summary::of_architecture(&"conv8k3p1-relu-pool-fc10".parse()?, 1);
/// assert_eq!(mine.total_params, 15_770);
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Title of the model (`LeNet5`, or the spec).
    pub model: String,
    /// The architecture's name (`lenet5`, or the spec), as command lines take it.
    pub architecture: String,
    /// Shape of the input batch the model was run on.
    pub input_shape: [usize; 4],
    /// Every layer, in order.
    pub layers: Vec<LayerSummary>,
    /// All parameters.
    pub total_params: usize,
    /// Parameters the optimiser updates (all of them: nothing is frozen).
    pub trainable_params: usize,
    /// Sum of the layers' multiply-adds.
    pub total_mult_adds: u64,
}

impl Summary {
    /// Summarises `model` for one input image.
    pub fn of(model: &LeNet) -> Self {
        Self::of_architecture(model.architecture(), 1)
    }

    /// Summarises `model` for a batch of `batch` images (shapes and multiply-adds
    /// scale with it; parameters do not).
    pub fn with_batch(model: &LeNet, batch: usize) -> Self {
        Self::of_architecture(model.architecture(), batch)
    }

    /// Summarises `architecture` for a batch of `batch` images.
    pub fn of_architecture(architecture: &Architecture, batch: usize) -> Self {
        let batch = batch.max(1);
        let layers: Vec<LayerSummary> = architecture
            .plan()
            .into_iter()
            .map(|layer| LayerSummary {
                name: layer.name.to_string(),
                kind: layer.spec.kind(),
                index: layer.index,
                details: layer.details(),
                output_shape: std::iter::once(batch)
                    .chain(layer.output_shape.iter().copied())
                    .collect(),
                params: layer.params,
                mult_adds: layer.mult_adds * batch as u64,
            })
            .collect();
        let total_params = layers.iter().map(|l| l.params).sum();
        Self {
            model: architecture.title().to_string(),
            architecture: architecture.name().to_string(),
            input_shape: LeNet::input_shape(batch),
            total_mult_adds: layers.iter().map(|l| l.mult_adds).sum(),
            layers,
            total_params,
            trainable_params: total_params,
        }
    }

    /// Floating-point operations of one forward pass, counting a multiply-add as 2.
    pub fn flops(&self) -> u64 {
        2 * self.total_mult_adds
    }

    /// Bytes of the input batch (f32).
    pub fn input_bytes(&self) -> u64 {
        self.input_shape.iter().map(|&d| d as u64).product::<u64>() * F32_BYTES
    }

    /// Bytes of every layer's output, counted twice (the output and its gradient),
    /// as torchinfo's "forward/backward pass size".
    pub fn activation_bytes(&self) -> u64 {
        let values: u64 = self
            .layers
            .iter()
            .map(|l| l.output_shape.iter().map(|&d| d as u64).product::<u64>())
            .sum();
        2 * values * F32_BYTES
    }

    /// Bytes of the parameters (f32).
    pub fn param_bytes(&self) -> u64 {
        self.total_params as u64 * F32_BYTES
    }

    /// Input, activations and parameters together.
    pub fn total_bytes(&self) -> u64 {
        self.input_bytes() + self.activation_bytes() + self.param_bytes()
    }

    /// Several summaries side by side, each model's parameters and mult-adds
    /// also as a share of a base model's: LeNet5 when it is among them, else the
    /// first — the header names it. The columns line up for any name length.
    ///
    /// ```
    /// use lenet::{Architecture, Summary};
    ///
    /// let mine: Architecture = "conv6k5p2-relu-pool-conv16k7-relu-pool-fc10".parse()?;
    /// let table = Summary::comparison(&[
    ///     Summary::of_architecture(&mine, 1),
    ///     Summary::of_architecture(&Architecture::LENET5, 1),
    /// ]);
    /// assert!(table.contains("vs lenet5"), "{table}");
    /// assert!(table.contains(" 100% "), "LeNet5 against itself: {table}");
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn comparison(summaries: &[Summary]) -> String {
        let Some(first) = summaries.first() else {
            return String::new();
        };
        let base = summaries
            .iter()
            .find(|s| s.architecture == Architecture::LENET5.name())
            .unwrap_or(first);
        let base_name = &base.architecture;
        let share = |part: u64, whole: u64| {
            if whole == 0 {
                "--".to_string()
            } else {
                format!("{:.0}%", 100.0 * part as f64 / whole as f64)
            }
        };
        let params_vs = format!("params vs {base_name}");
        let mult_adds_vs = format!("mult-adds vs {base_name}");
        let mut table = Table::new(&[
            ("model", Align::Left),
            ("params", Align::Right),
            (&params_vs, Align::Right),
            ("mult-adds", Align::Right),
            (&mult_adds_vs, Align::Right),
            ("params (MB)", Align::Right),
        ]);
        for s in summaries {
            table.row(vec![
                s.architecture.clone(),
                thousands(s.total_params as u64),
                share(s.total_params as u64, base.total_params as u64),
                thousands(s.total_mult_adds),
                share(s.total_mult_adds, base.total_mult_adds),
                format!("{:.3}", s.param_bytes() as f64 / MEGABYTE),
            ]);
        }
        format!(
            "Comparison (batch {}; shares of {base_name})\n{}",
            first.input_shape[0],
            table.markdown()
        )
    }
}

/// `1234567` → `1,234,567`.
fn shape(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(usize::to_string).collect();
    format!("[{}]", parts.join(", "))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / MEGABYTE)
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const WIDTH: usize = 96;
        let heavy = "=".repeat(WIDTH);
        let light = "-".repeat(WIDTH);
        writeln!(f, "{} — input {}", self.model, shape(&self.input_shape))?;
        writeln!(f, "{heavy}")?;
        writeln!(
            f,
            "{:<9}{:<11}{:<9}{:<18}{:<18}{:>12}{:>16}",
            "Layer", "Type", "PyTorch", "Details", "Output shape", "Param #", "Mult-adds"
        )?;
        writeln!(f, "{heavy}")?;
        for layer in &self.layers {
            let dash_if_zero = |n: u64| {
                if n == 0 {
                    "--".to_string()
                } else {
                    thousands(n)
                }
            };
            writeln!(
                f,
                "{:<9}{:<11}{:<9}{:<18}{:<18}{:>12}{:>16}",
                layer.name,
                layer.kind.type_name(),
                format!("net.{}", layer.index),
                layer.details,
                shape(&layer.output_shape),
                dash_if_zero(layer.params as u64),
                dash_if_zero(layer.mult_adds),
            )?;
        }
        writeln!(f, "{heavy}")?;
        writeln!(f, "Total params: {}", thousands(self.total_params as u64))?;
        writeln!(
            f,
            "Trainable params: {}",
            thousands(self.trainable_params as u64)
        )?;
        writeln!(
            f,
            "Non-trainable params: {}",
            thousands((self.total_params - self.trainable_params) as u64)
        )?;
        writeln!(
            f,
            "Total mult-adds: {} ({:.2} M)",
            thousands(self.total_mult_adds),
            self.total_mult_adds as f64 / 1e6
        )?;
        writeln!(
            f,
            "Total FLOPs: {} ({:.2} M; 1 multiply-add = 2 FLOPs; conv and linear layers only)",
            thousands(self.flops()),
            self.flops() as f64 / 1e6
        )?;
        writeln!(f, "{light}")?;
        writeln!(f, "Input size (MB): {}", megabytes(self.input_bytes()))?;
        writeln!(
            f,
            "Forward/backward pass size (MB): {}",
            megabytes(self.activation_bytes())
        )?;
        writeln!(f, "Params size (MB): {}", megabytes(self.param_bytes()))?;
        writeln!(
            f,
            "Estimated Total Size (MB): {}",
            megabytes(self.total_bytes())
        )?;
        writeln!(
            f,
            "(MB = 10^6 bytes; f32 values; every layer output counted twice, for the forward \
             value and its gradient, as torchinfo does)"
        )?;
        write!(f, "{heavy}")
    }
}
