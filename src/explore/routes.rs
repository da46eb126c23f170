//! The routes: the page, its script and style, and the API of docs/EXPLORE.md
//! behind the gate (`gate.rs`); every answer JSON (or the page), every bad
//! request a 4xx with `{"error": …}`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::App;
use super::api::{ApiError, ExplainQuery};
use super::gate::{self, Gate};
use super::limits::{Admission, Cancel, Limits};
use super::server::ServeOptions;

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const LAB_JS: &str = include_str!("page/lab.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// What the handlers share: the app, its limits and the queue for its
/// computations.
pub(super) struct Shared {
    pub(super) app: App,
    pub(super) limits: Limits,
    admission: Admission,
}

/// The routes of the app (the page, its script and style, and the API of
/// docs/EXPLORE.md) behind the gate, for a server bound to `bound`: for
/// [`serve`](super::serve), or to nest in an axum app of your own.
pub fn router(app: App, bound: SocketAddr, options: &ServeOptions) -> Router {
    let limits = options.limits.clone();
    let gate = Arc::new(Gate::new(
        bound,
        &options.allowed_hosts,
        options.token.clone(),
        limits.body_bytes,
        limits.body_time,
        limits.bodies_bytes,
    ));
    let shared = Arc::new(Shared {
        app,
        admission: Admission::new(&limits),
        limits: limits.clone(),
    });
    Router::new()
        .route(
            "/",
            get(|| async { page("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { page("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/lab.js",
            get(|| async { page("text/javascript; charset=utf-8", LAB_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { page("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/api/models", get(models))
        .route("/api/explain", post(explain))
        .route("/api/mnist", get(mnist_page))
        .route("/api/mnist/{index}", get(mnist_explain))
        .merge(super::lab::routes())
        .fallback(|| async { ApiError::not_found("no such page or API route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                405,
                "this route does not take that method (see docs/EXPLORE.md)",
            )
        })
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(axum::middleware::from_fn_with_state(gate, gate::admit))
        .with_state(shared)
}

pub(super) type AppState = State<Arc<Shared>>;

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut body = serde_json::json!({ "error": self.message });
        if let (Some(serde_json::Value::Object(detail)), Some(fields)) =
            (self.detail, body.as_object_mut())
        {
            fields.extend(detail);
        }
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Runs `work` off the async threads once the queue gives it a turn. A client
/// that goes away before its turn never computes; one that goes away during it
/// sets the `Cancel` flag `work` checks between its parts.
pub(super) async fn compute<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&App, &Cancel) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let turn = shared.admission.turn().await?;
    let cancel = Cancel::default();
    let on_drop = cancel.on_drop();
    let owned = Arc::clone(shared);
    let result = tokio::task::spawn_blocking(move || {
        let _turn = turn; // held until the work is done, even if nobody waits
        work(&owned.app, &cancel)
    })
    .await;
    on_drop.disarm();
    result.map_err(|e| ApiError::new(500, format!("the computation failed: {e}")))?
}

pub(super) fn json<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

pub(super) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))
}

/// `GET /api/models[?runs=ID,ID]`.
#[derive(Debug, Deserialize)]
struct ModelsQuery {
    runs: Option<String>,
}

/// The models' description: the app's, serialised once when the app was made;
/// with the lab's runs, made for the columns asked.
async fn models(
    State(shared): AppState,
    params: Result<Query<ModelsQuery>, QueryRejection>,
) -> Response {
    let runs = match query(params) {
        Ok(ModelsQuery { runs }) => runs.filter(|r| !r.trim().is_empty()),
        Err(error) => return error.into_response(),
    };
    let Some(runs) = runs else {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            shared.app.models_json.clone(),
        )
            .into_response();
    };
    let result = compute(&shared, move |app, _| {
        let columns = app.columns(Some(&runs))?;
        Ok(app.columns_info(&columns))
    })
    .await;
    json(result)
}

async fn explain(
    State(shared): AppState,
    params: Result<Query<ExplainQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body.map_err(|rejection| {
            ApiError::new(
                rejection.status().as_u16(),
                format!("the body cannot be read: {}", rejection.body_text()),
            )
        })?;
        let params = query(params)?;
        if body.is_empty() {
            return Err(ApiError::bad_request(
                "the body is empty: send a picture (PNG, JPEG, …)",
            ));
        }
        // What is no picture at all is told from its first bytes, before it
        // waits for a turn.
        if image::guess_format(&body).is_err() {
            return Err(ApiError::new(
                415,
                format!(
                    "the body cannot be read as a digit: {}",
                    crate::picture::PictureError::NotAnImage
                ),
            ));
        }
        let decode = shared.limits.decode;
        compute(&shared, move |app, cancel| {
            app.explain_picture(&body, &params, decode, cancel)
        })
        .await
    };
    json(result.await)
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
    /// The lab's runs shown as columns, whose predictions come too.
    runs: Option<String>,
}

fn default_limit() -> usize {
    60
}

async fn mnist_page(
    State(shared): AppState,
    params: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let Some(runs) = params.runs.clone().filter(|r| !r.trim().is_empty()) else {
        let result = match &shared.app.browser {
            Some(browser) => browser.page(params.offset, params.limit),
            None => Err(no_mnist()),
        };
        return json(result);
    };
    let result = compute(&shared, move |app, cancel| {
        let browser = app.browser.as_ref().ok_or_else(no_mnist)?;
        let lab = app.lab()?;
        let mut more = Vec::new();
        for id in app.run_ids(Some(&runs))? {
            if cancel.is_set() {
                return Err(ApiError::cancelled());
            }
            more.push(lab.predictions(&id, browser.split())?);
        }
        browser.page_with(params.offset, params.limit, &more)
    })
    .await;
    json(result)
}

async fn mnist_explain(
    State(shared): AppState,
    index: Result<Path<String>, PathRejection>,
    params: Result<Query<ExplainQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let Path(index) =
            index.map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))?;
        let params = query(params)?;
        params.for_test_image()?;
        let index: usize = index
            .parse()
            .map_err(|_| ApiError::bad_request(format!("`{index}` is not an image index")))?;
        compute(&shared, move |app, cancel| {
            let started = std::time::Instant::now();
            let columns = app.columns(params.runs.as_deref())?;
            let browser = app.browser.as_ref().ok_or_else(no_mnist)?;
            let digit = browser.digit(index)?;
            app.explain_digit(&columns, &digit, &params, started, cancel)
        })
        .await
    };
    json(result.await)
}

fn no_mnist() -> ApiError {
    ApiError::not_found("no MNIST test images loaded (start the server with a data directory)")
}
