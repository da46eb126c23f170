//! The JSON the page and the API speak, and how an explanation is computed.

use serde::{Deserialize, Serialize};

use super::{App, Served};
use crate::data::IMAGE_PIXELS;
use crate::explain::{GradCam, Heatmap};
use crate::model::{LayerKind, ReceptiveField};
use std::sync::Arc;

use super::limits::Cancel;
use crate::predict::{
    DecodeLimits, PictureError, Polarity, PreparedDigit, Preprocess, decode_with, predict,
    prepare_image,
};

/// What `GET /api/models` returns.
#[derive(Debug, Clone, Serialize)]
pub struct ModelsInfo {
    /// The models, in the order they are shown (and returned by `/api/explain`).
    pub models: Vec<ModelInfo>,
    /// How many MNIST test images `/api/mnist` can browse (0: none loaded).
    pub mnist_test_images: usize,
    /// Whether the server has the lab (`/api/runs`).
    pub lab: bool,
}

/// One model, as the page draws it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// Its name in the app.
    pub name: String,
    /// Its architecture as a spec (or its name: `lenet5`).
    pub architecture: String,
    /// Learned values.
    pub params: usize,
    /// The layers of its walk, in order.
    pub layers: Vec<LayerInfo>,
}

/// One layer of a model's walk.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// `conv1`, `relu1`, `pool1`, `flatten`, `fc1`, …
    pub name: String,
    /// What it does.
    pub kind: LayerKind,
    /// Its output per image (`[C, H, W]` before the flatten, `[features]` after).
    pub shape: Vec<usize>,
    /// The input pixels one output value sees (`null` from the flatten on).
    pub receptive_field: Option<ReceptiveField>,
    /// Convolutions only: weights `[out, in, k, k]` row-major, `weight_shape`,
    /// and one bias per output channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernels: Option<Kernels>,
}

/// A convolution's weights and biases.
#[derive(Debug, Clone, Serialize)]
pub struct Kernels {
    /// `[out_channels, in_channels, k, k]`.
    pub weight_shape: [usize; 4],
    /// Row-major in `weight_shape`.
    pub weights: Vec<f32>,
    /// One per output channel.
    pub bias: Vec<f32>,
}

/// The query of `POST /api/explain` and `GET /api/mnist/{index}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExplainQuery {
    /// The class to explain (default: each model's own prediction).
    pub class: Option<usize>,
    /// The layer for Grad-CAM: one name for every model, or one per model
    /// separated by commas, in the app's order (default: each model's last
    /// convolution).
    pub layer: Option<String>,
    /// Runs of the lab to show after the app's models, by id, separated by
    /// commas.
    pub runs: Option<String>,
    /// Pictures only: which way round the ink is, `auto` (the default: decided
    /// from the picture), `dark` (on light paper) or `light` (on a dark
    /// background). A test image is read as the dataset holds it: asking for
    /// either setting there is refused.
    #[serde(default)]
    pub ink: Polarity,
    /// Pictures only: keep what the photo shows around the digit (ruled lines,
    /// the desk, marks away from it) instead of clearing it, to see what the
    /// clearing does.
    #[serde(default)]
    pub keep_surroundings: bool,
}

impl ExplainQuery {
    /// How a picture is prepared for this query: as `predict` prepares it by
    /// default, with the ink and surroundings as asked.
    ///
    /// ```
    /// use lenet::explore::ExplainQuery;
    /// use lenet::predict::{Polarity, Preprocess};
    ///
    /// let query: ExplainQuery = serde_json::from_str(r#"{"ink": "dark"}"#).unwrap();
    /// let options = query.preprocess();
    /// assert_eq!(options.polarity, Polarity::DarkInk);
    /// assert_eq!(options.clear_surroundings, Preprocess::default().clear_surroundings);
    /// ```
    pub fn preprocess(&self) -> Preprocess {
        Preprocess {
            polarity: self.ink,
            clear_surroundings: !self.keep_surroundings,
            ..Preprocess::default()
        }
    }

    /// Refuses the settings that only a picture can follow (a test image is
    /// not prepared: it is already MNIST's 28×28).
    pub(crate) fn for_test_image(&self) -> Result<(), ApiError> {
        if self.ink != Polarity::Auto || self.keep_surroundings {
            return Err(ApiError::bad_request(
                "ink and keep_surroundings apply to pictures: a test image is read as MNIST holds it",
            ));
        }
        Ok(())
    }
}

/// What `POST /api/explain` returns.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The 28×28 picture the models see, row-major in `[0, 1]` (after the
    /// crate's preprocessing; before each model's normalisation).
    pub input: Vec<f32>,
    /// Whether the picture was inverted (dark ink on a light background).
    pub inverted: bool,
    /// One entry per model, in the app's order.
    pub models: Vec<ModelExplanation>,
    /// With two models or more over the same classes: their ensemble, the mean of
    /// their probabilities (what `predict` gives with the same checkpoints).
    pub ensemble: Option<EnsembleAnswer>,
    /// Time spent computing, in milliseconds.
    pub elapsed_ms: f64,
}

/// The models of an answer read together ([`crate::Prediction::average`]).
#[derive(Debug, Clone, Serialize)]
pub struct EnsembleAnswer {
    /// The class the averaged probabilities rank first.
    pub class: usize,
    /// The mean probability of every class.
    pub probabilities: Vec<f32>,
    /// `false` when any model's outputs were not finite numbers.
    pub valid: bool,
    /// How many models it averages.
    pub members: usize,
}

impl EnsembleAnswer {
    /// The ensemble of `models`' answers: `None` for fewer than two, or models
    /// over different classes.
    fn of(models: &[ModelExplanation]) -> Option<Self> {
        if models.len() < 2 {
            return None;
        }
        let members: Vec<crate::Prediction> = models
            .iter()
            .map(|m| crate::Prediction {
                class: m.class,
                probabilities: m.probabilities.clone(),
                valid: m.valid,
            })
            .collect();
        let together = crate::Prediction::average(&members)?;
        Some(Self {
            class: together.class,
            probabilities: together.probabilities,
            valid: together.valid,
            members: members.len(),
        })
    }
}

/// One model's answer for a picture.
#[derive(Debug, Clone, Serialize)]
pub struct ModelExplanation {
    /// The model's name.
    pub name: String,
    /// The class it predicts (what `predict` gives for the same picture).
    pub class: usize,
    /// The probability of every class.
    pub probabilities: Vec<f32>,
    /// `false` when the model's outputs were not finite numbers.
    pub valid: bool,
    /// The class the explanations are for.
    pub explained_class: usize,
    /// Every layer's output.
    pub layers: Vec<LayerOutput>,
    /// Gradient of the explained class's score with respect to each pixel.
    pub saliency: Heatmap,
    /// Integrated gradients from a blank picture (16 steps).
    pub integrated_gradients: Heatmap,
    /// Fall in the class's probability when a 6×6 patch around each pixel is blanked.
    pub occlusion: Heatmap,
    /// Grad-CAM on the chosen layer (`null` for a network without maps).
    pub grad_cam: Option<GradCam>,
}

/// One layer's output for the picture.
#[derive(Debug, Clone, Serialize)]
pub struct LayerOutput {
    /// `conv1`, …
    pub name: String,
    /// What the layer does.
    pub kind: LayerKind,
    /// Output shape per image.
    pub shape: Vec<usize>,
    /// The values, row-major in `shape`.
    pub values: Vec<f32>,
}

/// Why a request cannot be answered: an HTTP status and a message for the page
/// (answered as `{"error": message}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
    /// Seconds after which to try again (`Retry-After`), for a busy server.
    pub(crate) retry_after: Option<u32>,
    /// More fields for the JSON answer beside `error` (a spec's `position`).
    pub(crate) detail: Option<serde_json::Value>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
            detail: None,
        }
    }

    /// The same error with `detail`'s fields (a JSON object) in its answer.
    pub(crate) fn with_detail(self, detail: serde_json::Value) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// `503 Service Unavailable`, to be tried again in a second.
    pub(crate) fn busy(message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(503, message)
        }
    }

    /// The client went away: nobody reads this answer.
    pub(crate) fn cancelled() -> Self {
        Self::new(499, "the request was cancelled")
    }

    fn picture(reason: PictureError) -> Self {
        let status = match reason {
            PictureError::TooLarge { .. } => 413,
            PictureError::NotAnImage => 415,
            PictureError::NoInk { .. } => 422,
            _ => 400,
        };
        Self::new(
            status,
            format!("the body cannot be read as a digit: {reason}"),
        )
    }
}

impl App {
    /// What `GET /api/models` returns.
    pub fn models_info(&self) -> ModelsInfo {
        self.columns_info(&self.models)
    }

    /// What `GET /api/models?runs=…` returns for these columns.
    pub(crate) fn columns_info(&self, columns: &[Arc<Served>]) -> ModelsInfo {
        ModelsInfo {
            models: columns.iter().map(|s| s.info()).collect(),
            mnist_test_images: self.browser.as_ref().map_or(0, |b| b.len()),
            lab: self.lab.is_some(),
        }
    }

    /// `POST /api/explain`: a picture's bytes (PNG, JPEG, …) → every model's
    /// prediction, layers and explanations. The picture is decoded within
    /// `limits` and prepared once, as `predict` prepares it with the query's
    /// ink and surroundings.
    pub(crate) fn explain_picture(
        &self,
        bytes: &[u8],
        query: &ExplainQuery,
        limits: DecodeLimits,
        cancel: &Cancel,
    ) -> Result<Explanation, ApiError> {
        let started = std::time::Instant::now();
        let columns = self.columns(query.runs.as_deref())?;
        let image = decode_with(bytes, limits).map_err(ApiError::picture)?;
        let digit = prepare_image(&image, &query.preprocess()).map_err(ApiError::picture)?;
        self.explain_digit(&columns, &digit, query, started, cancel)
    }

    /// The explanation of a prepared digit; stops early (with an error nobody
    /// reads) once `cancel` is set.
    pub(crate) fn explain_digit(
        &self,
        columns: &[Arc<Served>],
        digit: &PreparedDigit,
        query: &ExplainQuery,
        started: std::time::Instant,
        cancel: &Cancel,
    ) -> Result<Explanation, ApiError> {
        let layers: Vec<Option<String>> = match &query.layer {
            None => vec![None; columns.len()],
            Some(list) => {
                let names: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
                match names.len() {
                    1 => vec![names[0].clone(); columns.len()],
                    n if n == columns.len() => names,
                    n => {
                        return Err(ApiError::bad_request(format!(
                            "layer: {n} names for {} models; give one, or one per model",
                            columns.len()
                        )));
                    }
                }
                .into_iter()
                .map(|name| (!name.is_empty()).then_some(name))
                .collect()
            }
        };
        let models = columns
            .iter()
            .zip(layers)
            .map(|(served, layer)| {
                if cancel.is_set() {
                    return Err(ApiError::cancelled());
                }
                served.explain(digit, query.class, layer)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Explanation {
            input: digit.pixels.clone(),
            inverted: digit.inverted,
            ensemble: EnsembleAnswer::of(&models),
            models,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    /// What `POST /api/explain` answers for a picture's bytes (decoded within
    /// [`DecodeLimits::SERVER`], as the server does by default), for callers
    /// outside the server (benchmarks, tests): `Err` carries the HTTP status and
    /// the message.
    pub fn explain(
        &self,
        bytes: &[u8],
        query: &ExplainQuery,
    ) -> Result<Explanation, (u16, String)> {
        self.explain_picture(bytes, query, DecodeLimits::SERVER, &Cancel::default())
            .map_err(|e| (e.status, e.message))
    }
}

impl Served {
    fn info(&self) -> ModelInfo {
        let model = &self.named.saved.model;
        let mut kernels = model.conv_kernels().into_iter();
        let layers = model
            .architecture()
            .plan()
            .into_iter()
            .map(|layer| LayerInfo {
                name: layer.name.to_string(),
                kind: layer.name.kind,
                shape: layer.output_shape.to_vec(),
                receptive_field: layer.receptive_field,
                kernels: (layer.name.kind == LayerKind::Conv2d)
                    .then(|| kernels.next())
                    .flatten()
                    .map(|k| Kernels {
                        weight_shape: k.shape,
                        weights: k.weights,
                        bias: k.bias,
                    }),
            })
            .collect();
        ModelInfo {
            name: self.named.name.clone(),
            architecture: model.architecture().to_string(),
            params: model.architecture().num_params(),
            layers,
        }
    }

    fn explain(
        &self,
        digit: &PreparedDigit,
        class: Option<usize>,
        layer: Option<String>,
    ) -> Result<ModelExplanation, ApiError> {
        let saved = &self.named.saved;
        let prediction = predict(saved, digit);
        let classes = saved.model.architecture().num_classes();
        let explained_class = class.unwrap_or(prediction.class);
        if explained_class >= classes {
            return Err(ApiError::bad_request(format!(
                "class {explained_class} does not exist: {} has {classes} classes",
                self.named.name
            )));
        }
        let input = digit.model_input(saved.normalization);
        let explainer = &self.explainer;
        let all = explainer
            .every_explanation(&input, explained_class, layer.as_deref())
            .map_err(|e| ApiError::bad_request(format!("{}: {e}", self.named.name)))?;
        Ok(ModelExplanation {
            name: self.named.name.clone(),
            class: prediction.class,
            probabilities: prediction.probabilities.clone(),
            valid: prediction.valid,
            explained_class,
            layers: layer_outputs(&saved.model, input),
            saliency: all.saliency,
            integrated_gradients: all.integrated_gradients,
            occlusion: all.occlusion,
            grad_cam: all.grad_cam,
        })
    }
}

/// Every layer's output for one model input.
fn layer_outputs(model: &crate::LeNet, input: Vec<f32>) -> Vec<LayerOutput> {
    debug_assert_eq!(input.len(), IMAGE_PIXELS);
    let images = crate::data::images_tensor(input, 1, &model.device());
    crate::extract_feature_maps(model, images)
        .layers
        .into_iter()
        .map(|map| LayerOutput {
            shape: map.item_shape().to_vec(),
            name: map.name,
            kind: map.kind,
            values: map.values,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Normalization;
    use crate::explore::NamedModel;
    use crate::{Architecture, LeNetConfig, SavedModel};

    #[test]
    fn a_request_whose_client_went_away_computes_no_further_model() {
        let device = crate::device("flex").unwrap();
        let saved = |seed| {
            let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, seed);
            SavedModel::new(model, Normalization::None)
        };
        let app = App::new(
            vec![
                NamedModel::new("a", saved(0)),
                NamedModel::new("b", saved(1)),
            ],
            None,
        )
        .unwrap();
        let columns = app.columns(None).unwrap();
        let digit = PreparedDigit::from_pixels(vec![0.5; IMAGE_PIXELS]);
        let query = ExplainQuery::default();
        let explain = |cancel: &Cancel| {
            app.explain_digit(&columns, &digit, &query, std::time::Instant::now(), cancel)
        };
        // A request that finished disarms its flag: nothing is cancelled.
        let finished = Cancel::default();
        finished.on_drop().disarm();
        assert_eq!(explain(&finished).unwrap().models.len(), 2);
        // Its client gone (the request's future dropped), the work stops.
        let gone = Cancel::default();
        drop(gone.on_drop());
        assert_eq!(explain(&gone).unwrap_err().status, 499);
    }
}
