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
//! [`App`] holds the models; [`router`] is the axum `Router` (to serve it
//! yourself or nest it in your own app); [`serve`] runs it on a listener until
//! the process ends. The library never prints: the example does.
//!
//! ```no_run
//! use lenet::SavedModel;
//! use lenet::explore::{App, NamedModel};
//!
//! let device = lenet::device("auto")?;
//! let model = SavedModel::load("runs/lenet5/model.bpk".as_ref(), None, &device)?;
//! let app = App::new(vec![NamedModel::new("lenet5", model)], None)?;
//! let listener = std::net::TcpListener::bind("127.0.0.1:8000")
//!     .map_err(|e| lenet::Error::InvalidArgument(e.to_string()))?;
//! lenet::explore::serve(listener, app)?;
//! # Ok::<(), lenet::Error>(())
//! ```

mod api;
mod browser;
mod server;

pub use api::{
    ExplainQuery, Explanation, LayerInfo, LayerOutput, MAX_BODY_BYTES, ModelExplanation, ModelInfo,
    ModelsInfo,
};
pub use browser::{MnistItem, MnistPage};
pub use server::{router, serve};

use crate::SavedModel;
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

/// What the server serves: the models, side by side in the order given, and
/// optionally the MNIST test images to browse.
#[derive(Debug)]
pub struct App {
    models: Vec<Served>,
    browser: Option<browser::Browser>,
}

/// A model with its explainer, built once.
#[derive(Debug)]
struct Served {
    named: NamedModel,
    explainer: Explainer,
}

impl App {
    /// The app for `models` (at least one; at most 8, side by side), and the test
    /// images of `test` to browse if given (each model reads all of them once
    /// here, to put the ones it gets wrong first).
    pub fn new(models: Vec<NamedModel>, test: Option<MnistSplit>) -> Result<Self> {
        if models.is_empty() || models.len() > 8 {
            return Err(Error::InvalidArgument(format!(
                "explore shows 1 to 8 models side by side, not {}",
                models.len()
            )));
        }
        let models: Vec<Served> = models
            .into_iter()
            .map(|named| Served {
                explainer: Explainer::for_normalization(
                    &named.saved.model,
                    named.saved.normalization,
                ),
                named,
            })
            .collect();
        let browser = test.map(|split| browser::Browser::new(split, &models));
        Ok(Self { models, browser })
    }

    /// The models' names, in order.
    pub fn model_names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.named.name.as_str()).collect()
    }
}
