//! The HTTP side: axum routes over an [`App`], every answer JSON (or the page),
//! every bad request a 4xx with `{"error": …}` — the server keeps serving.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::App;
use super::api::{ApiError, ExplainQuery, MAX_BODY_BYTES};
use crate::{Error, Result};

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// The routes of the app (the page, its script and style, and the API of
/// docs/EXPLORE.md), for [`serve`] or to nest in an axum app of your own.
pub fn router(app: App) -> Router {
    let app = Arc::new(app);
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
            "/style.css",
            get(|| async { page("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/api/models", get(models))
        .route("/api/explain", post(explain))
        .route("/api/mnist", get(mnist_page))
        .route("/api/mnist/{index}", get(mnist_explain))
        .fallback(|| async { ApiError::not_found("no such page or API route") })
        .method_not_allowed_fallback(|| async {
            ApiError {
                status: 405,
                message: "this route does not take that method (see docs/EXPLORE.md)".into(),
            }
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

/// Serves `app` on `listener` (bind it where you want: `127.0.0.1:0` for a free
/// port on loopback) until the process ends, on a runtime of its own; returns
/// only if the server fails.
pub fn serve(listener: std::net::TcpListener, app: App) -> Result<()> {
    let fail = |e: std::io::Error| Error::InvalidArgument(format!("the explore server: {e}"));
    listener.set_nonblocking(true).map_err(fail)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all() // axum waits on a timer after a failed accept
        .build()
        .map_err(fail)?;
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, router(app)).await
        })
        .map_err(fail)
}

type Shared = State<Arc<App>>;

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
        (
            status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// The models' computations are CPU (or GPU) work: off the async threads.
async fn compute<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError {
            status: 500,
            message: format!("the computation failed: {e}"),
        })?
}

fn json<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))
}

async fn models(State(app): Shared) -> Response {
    json(Ok(app.models_info()))
}

async fn explain(
    State(app): Shared,
    params: Result<Query<ExplainQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the body is over the limit of {MAX_BODY_BYTES} bytes")
            } else {
                format!("the body cannot be read: {}", rejection.body_text())
            };
            return ApiError {
                status: status.as_u16(),
                message,
            }
            .into_response();
        }
    };
    let params = match query(params) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    if body.is_empty() {
        return ApiError::bad_request("the body is empty: send a picture (PNG, JPEG, …)")
            .into_response();
    }
    json(compute(move || app.explain_picture(&body, &params)).await)
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    60
}

async fn mnist_page(
    State(app): Shared,
    params: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let result = query(params).and_then(|p| match &app.browser {
        Some(browser) => browser.page(p.offset, p.limit),
        None => Err(no_mnist()),
    });
    json(result)
}

async fn mnist_explain(
    State(app): Shared,
    Path(index): Path<String>,
    params: Result<Query<ExplainQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let params = query(params)?;
        let index: usize = index
            .parse()
            .map_err(|_| ApiError::bad_request(format!("`{index}` is not an image index")))?;
        compute(move || {
            let started = std::time::Instant::now();
            let browser = app.browser.as_ref().ok_or_else(no_mnist)?;
            let digit = browser.digit(index)?;
            app.explain_digit(&digit, &params, started)
        })
        .await
    };
    json(result.await)
}

fn no_mnist() -> ApiError {
    ApiError::not_found("no MNIST test images loaded (start the server with a data directory)")
}
