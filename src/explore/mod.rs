//! `explore`: a local web app where you draw a digit (or drop a photo) and watch
//! every layer of your own models respond, with explanations of each prediction.
//!
//! The page (HTML, JavaScript and CSS, embedded in the binary: no CDN, works
//! offline) talks to a small JSON API, documented in docs/EXPLORE.md:
//!
//! - `GET /api/models`: the models, their layers (shapes, receptive fields) and
//!   every convolution's kernels;
//! - `POST /api/explain` with a picture as the body (any format
//!   [`predict`](crate::predict) reads): what each model sees, predicts, and why;
//! - `GET /api/mnist` and `GET /api/mnist/{index}`: the test images (those some
//!   model gets wrong first), and the same explanation for one of them.
//!
//! [`App`] holds the models; [`router`] is the axum `Router` behind the gate
//! (to serve it yourself or nest it in your own app); [`serve`] runs it on a
//! listener until the process ends, within [`Limits`]. Every route sits behind
//! one gate: the server answers only to its own names (`Host`), only to its own
//! page (`Origin`, `Sec-Fetch-Site`), takes only pictures and JSON as bodies,
//! and bounds every request's work (docs/EXPLORE.md, "Security"). The library
//! never prints: the example does.
//!
//! ```no_run
//! use lenet::SavedModel;
//! use lenet::explore::{App, NamedModel};
//!
//! let device = lenet::device("auto")?;
//! let model = SavedModel::load("runs/lenet5/model.bpk".as_ref(), None, &device)?;
//! let app = App::new(vec![NamedModel::new("lenet5", model)], None)?;
//! let listener = std::net::TcpListener::bind("127.0.0.1:8000").map_err(|source| {
//!     lenet::Error::Server { action: "listen on 127.0.0.1:8000".into(), source }
//! })?;
//! lenet::explore::serve(listener, app, lenet::explore::ServeOptions::default())?;
//! # Ok::<(), lenet::Error>(())
//! ```

mod api;
mod browser;
mod gate;
mod lab;
mod limits;
mod routes;
mod server;

pub use api::{
    EnsembleAnswer, ExplainQuery, Explanation, LayerInfo, LayerOutput, ModelExplanation, ModelInfo,
    ModelsInfo,
};
pub use browser::{MnistPage, TestImage};
pub use lab::{
    CompareAnswer, ComparedModel, ComparedPair, Lab, LabLimits, LabOptions, ProbeKernels,
    ProbeLayer, RunEvent, RunInfo, RunList, RunState, SpecAnswer, SpecLayer, StartRequest,
    default_runs_dir,
};
pub use limits::Limits;
pub use routes::router;
pub use server::{ServeOptions, address_to_open, new_token, raise_open_files_limit, serve};

use crate::SavedModel;
use std::sync::Arc;

use crate::data::MnistSplit;
use crate::explain::Explainer;
use crate::{Error, Result};

/// A model shown by the app, under the name the page gives it.
#[derive(Debug, Clone)]
pub struct NamedModel {
    /// Shown above the model's column (a checkpoint's path, an architecture).
    pub name: String,
    /// The model, its architecture and its input normalisation.
    pub saved: SavedModel,
}

impl NamedModel {
    /// A model called `name`.
    pub fn new(name: impl Into<String>, saved: SavedModel) -> Self {
        Self {
            name: name.into(),
            saved,
        }
    }
}

/// What the server serves: the models, side by side in the order given,
/// optionally the MNIST test images to browse, and optionally the lab.
#[derive(Debug)]
pub struct App {
    models: Vec<Arc<Served>>,
    browser: Option<browser::Browser>,
    /// `GET /api/models`, serialised once: it never changes.
    models_json: axum::body::Bytes,
    lab: Option<Lab>,
}

/// The most models shown side by side (the app's and the lab's runs).
const MAX_COLUMNS: usize = 8;

/// A model with its explainer, built once.
#[derive(Debug)]
pub(crate) struct Served {
    named: NamedModel,
    explainer: Explainer,
}

impl Served {
    fn new(named: NamedModel) -> Self {
        Self {
            explainer: Explainer::for_normalization(&named.saved.model, named.saved.normalization)
                .with_memory(crate::explain::DEFAULT_MEMORY),
            named,
        }
    }
}

impl App {
    /// The app for `models` (at least one; at most 8, side by side), and the test
    /// images of `test` to browse if given (each model reads all of them once
    /// here, to put the ones it gets wrong first). Every computation's batches
    /// are sized from its model's architecture to fit
    /// [`explain::DEFAULT_MEMORY`](crate::explain::DEFAULT_MEMORY).
    pub fn new(models: Vec<NamedModel>, test: Option<MnistSplit>) -> Result<Self> {
        if models.is_empty() || models.len() > MAX_COLUMNS {
            return Err(Error::InvalidArgument(format!(
                "explore shows 1 to {MAX_COLUMNS} models side by side, not {}",
                models.len()
            )));
        }
        let models: Vec<Arc<Served>> = models
            .into_iter()
            .map(|named| Arc::new(Served::new(named)))
            .collect();
        let browser = test.map(|split| browser::Browser::new(split, &models));
        let mut app = Self {
            models,
            browser,
            models_json: axum::body::Bytes::new(),
            lab: None,
        };
        let json = serde_json::to_vec(&app.models_info()).expect("plain data serialises");
        app.models_json = json.into();
        Ok(app)
    }

    /// The same app with the lab: its routes (`/api/runs`, `/api/spec`,
    /// `/api/compare`) answer, and its runs can be columns (`?runs=ID,ID`).
    pub fn with_lab(self, lab: Lab) -> Self {
        let mut app = Self {
            lab: Some(lab),
            ..self
        };
        let json = serde_json::to_vec(&app.models_info()).expect("plain data serialises");
        app.models_json = json.into();
        app
    }

    /// The lab, or `404` where the app has none.
    pub(crate) fn lab(&self) -> Result<&Lab, api::ApiError> {
        self.lab.as_ref().ok_or_else(|| {
            api::ApiError::not_found("this server has no lab (start it with --runs)")
        })
    }

    /// The columns a request asks for: the app's models, then the lab's runs
    /// named in `runs` (`ID,ID`).
    pub(crate) fn columns(&self, runs: Option<&str>) -> Result<Vec<Arc<Served>>, api::ApiError> {
        let mut columns = self.models.clone();
        let ids = self.run_ids(runs)?;
        if ids.is_empty() {
            return Ok(columns);
        }
        let lab = self.lab()?;
        for id in ids {
            columns.push(lab.served(&id)?);
        }
        Ok(columns)
    }

    /// The run ids of a `runs` parameter, each once, no more than the columns
    /// left beside the app's models.
    pub(crate) fn run_ids(&self, runs: Option<&str>) -> Result<Vec<String>, api::ApiError> {
        let mut ids: Vec<String> = Vec::new();
        for id in runs.unwrap_or_default().split(',').map(str::trim) {
            if !id.is_empty() && !ids.iter().any(|known| known == id) {
                // Refused as soon as there are too many, not after a long
                // list's every pair has been compared.
                if self.models.len() + ids.len() >= MAX_COLUMNS {
                    return Err(api::ApiError::bad_request(format!(
                        "at most {MAX_COLUMNS} models side by side"
                    )));
                }
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    }

    /// The models' names, in order.
    pub fn model_names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.named.name.as_str()).collect()
    }
}
