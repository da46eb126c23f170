//! The lab's routes (docs/EXPLORE.md, "The lab"): a spec checked, runs started,
//! listed, stopped, resumed and deleted, their events as a stream, their
//! comparison, and their weights with a PyTorch script to take away. The gate
//! requires the launch token for every `/api/runs` route.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{RunEvent, StartRequest, check_spec};
use crate::explore::api::ApiError;
use crate::explore::routes::{AppState, Shared, compute, json, query};

/// The lab's routes, for the app's router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/spec", get(spec))
        .route("/api/runs", get(list).post(start))
        .route("/api/runs/{id}", axum::routing::delete(delete))
        .route("/api/runs/{id}/stop", post(stop))
        .route("/api/runs/{id}/resume", post(resume))
        .route("/api/runs/{id}/events", get(events))
        .route("/api/runs/{id}/model.safetensors", get(model_file))
        .route("/api/runs/{id}/pytorch.py", get(pytorch_script))
        .route("/api/compare", get(compare))
}

#[derive(Debug, Deserialize)]
struct SpecQuery {
    spec: String,
}

/// `GET /api/spec?spec=…`: the spec checked and counted, or `400` with the
/// position and the token that is wrong.
async fn spec(params: Result<Query<SpecQuery>, QueryRejection>) -> Response {
    json(query(params).and_then(|q| check_spec(&q.spec)))
}

/// Runs `work` on the lab off the async threads (it reads and writes files).
async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&super::Lab) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let owned = Arc::clone(shared);
    tokio::task::spawn_blocking(move || work(owned.app.lab()?))
        .await
        .map_err(|e| ApiError::new(500, format!("the lab failed: {e}")))?
}

fn id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))
}

async fn list(State(shared): AppState) -> Response {
    json(blocking(&shared, |lab| Ok(lab.list())).await)
}

async fn start(
    State(shared): AppState,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Response {
    let result = match body {
        Ok(Json(request)) => blocking(&shared, move |lab| lab.start(request)).await,
        Err(e) => Err(ApiError::new(e.status().as_u16(), e.body_text())),
    };
    match result {
        Ok(runs) => (axum::http::StatusCode::ACCEPTED, Json(runs)).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn stop(State(shared): AppState, path: Result<Path<String>, PathRejection>) -> Response {
    let result = match id(path) {
        Ok(id) => blocking(&shared, move |lab| lab.stop(&id)).await,
        Err(e) => Err(e),
    };
    json(result)
}

async fn resume(State(shared): AppState, path: Result<Path<String>, PathRejection>) -> Response {
    let result = match id(path) {
        Ok(id) => blocking(&shared, move |lab| lab.resume(&id)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(run) => (axum::http::StatusCode::ACCEPTED, Json(run)).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn delete(State(shared): AppState, path: Result<Path<String>, PathRejection>) -> Response {
    let result = match id(path) {
        Ok(id) => {
            blocking(&shared, move |lab| {
                lab.delete(&id)?;
                Ok(serde_json::json!({ "deleted": id }))
            })
            .await
        }
        Err(e) => Err(e),
    };
    json(result)
}

/// `GET /api/runs/{id}/events`: the run's events so far, then the rest as
/// they come, as Server-Sent Events; the stream ends with the run.
async fn events(State(shared): AppState, path: Result<Path<String>, PathRejection>) -> Response {
    let streams = match id(path) {
        Ok(id) => blocking(&shared, move |lab| lab.events(&id)).await,
        Err(e) => Err(e),
    };
    let (kept, live) = match streams {
        Ok(streams) => streams,
        Err(error) => return error.into_response(),
    };
    let kept = kept.into_iter();
    let stream = futures_util::stream::unfold((kept, live), |(mut kept, mut live)| async move {
        if let Some(event) = kept.next() {
            return Some((Ok::<_, Infallible>(sse(&event)), (kept, live)));
        }
        let receiver = live.as_mut()?;
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    let next = (!event.ends_run()).then_some(live).flatten();
                    return Some((Ok(sse(&event)), (kept, next)));
                }
                // A slow reader missed some steps: go on with the newest.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn sse(event: &RunEvent) -> Event {
    Event::default()
        .event(event.name())
        .json_data(event)
        .unwrap_or_else(|_| Event::default().event("failed"))
}

async fn model_file(
    State(shared): AppState,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let result = match id(path) {
        Ok(id) => {
            blocking(&shared, move |lab| {
                let bytes = lab.model_file(&id)?;
                Ok((id, bytes))
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((id, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{id}.safetensors\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn pytorch_script(
    State(shared): AppState,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let script = match id(path) {
        Ok(id) => blocking(&shared, move |lab| lab.pytorch_script(&id)).await,
        Err(e) => Err(e),
    };
    match script {
        Ok(script) => (
            [
                (header::CONTENT_TYPE, "text/x-python; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"pytorch.py\"",
                ),
            ],
            script,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct CompareQuery {
    runs: String,
}

/// `GET /api/compare?runs=ID,ID,…`: computed off the async threads (a run
/// not compared before is evaluated on the test images once).
async fn compare(
    State(shared): AppState,
    params: Result<Query<CompareQuery>, QueryRejection>,
) -> Response {
    let ids = match query(params) {
        Ok(q) => q
            .runs
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>(),
        Err(error) => return error.into_response(),
    };
    json(compute(&shared, move |app, _| app.lab()?.compare(&ids)).await)
}
