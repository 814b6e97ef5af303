//! `GET /` and `GET /health` (Kafka Connect's `RootResource`).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::entities::{ServerInfo, WorkerStatus};
use crate::rest::AppState;

const TAG: &str = "worker";

/// Kafka's health-check timeout: a worker that cannot take a request in this time is unhealthy.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(server_info)).routes(routes!(health))
}

/// The worker's version and Kafka cluster.
#[utoipa::path(get, path = "/", tag = TAG, responses((status = 200, body = ServerInfo)))]
async fn server_info(State(state): State<AppState>) -> Json<ServerInfo> {
    let kafka_cluster_id = state.kafka_cluster_id().await;
    Json(ServerInfo {
        version: crate::version().to_owned(),
        commit: option_env!("FERROCONNECT_COMMIT").unwrap_or("unknown").to_owned(),
        kafka_cluster_id,
    })
}

/// Whether the worker can handle requests (KIP-1017): it must take its request lock in time.
#[utoipa::path(get, path = "/health", tag = TAG,
    responses((status = 200, description = "Healthy", body = WorkerStatus),
        (status = 500, description = "The worker could not handle a request in time", body = WorkerStatus)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<WorkerStatus>) {
    let herder = state.herder.clone();
    let probe = tokio::task::spawn_blocking(move || drop(herder.lock_changes()));
    match tokio::time::timeout(HEALTH_TIMEOUT, probe).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(WorkerStatus {
                status: "healthy".into(),
                message: "Worker has completed startup and is ready to handle requests.".into(),
            }),
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(WorkerStatus {
                status: "unhealthy".into(),
                message: "Worker was unable to handle this request and may be unable to handle other requests. \
                          It is busy with a connector operation that has taken more than 10 seconds."
                    .into(),
            }),
        ),
    }
}
