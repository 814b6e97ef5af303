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
    let kafka_cluster_id = state.herder.worker().kafka_cluster_id().map(str::to_owned);
    Json(ServerInfo {
        version: crate::version().to_owned(),
        commit: option_env!("FERROCONNECT_COMMIT").unwrap_or("unknown").to_owned(),
        kafka_cluster_id,
    })
}

/// How long `/health` waits for the Kafka cluster to answer a metadata request.
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the worker can handle requests (KIP-1017): it must take its request lock in time, and
/// (unlike Kafka Connect, which does not ask) its Kafka cluster must answer a metadata request.
#[utoipa::path(get, path = "/health", tag = TAG,
    responses((status = 200, description = "Healthy", body = WorkerStatus),
        (status = 500, description = "The worker could not handle a request in time, or its Kafka cluster does not answer", body = WorkerStatus)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<WorkerStatus>) {
    let herder = state.herder.clone();
    let probe = tokio::task::spawn_blocking(move || drop(herder.lock_changes()));
    if !matches!(tokio::time::timeout(HEALTH_TIMEOUT, probe).await, Ok(Ok(()))) {
        return unhealthy("It is busy with a connector operation that has taken more than 10 seconds.".into());
    }
    let worker = state.herder.worker().clone();
    match tokio::task::spawn_blocking(move || worker.check_cluster(CLUSTER_TIMEOUT)).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(WorkerStatus {
                status: "healthy".into(),
                message: "Worker has completed startup and is ready to handle requests.".into(),
            }),
        ),
        Ok(Err(e)) => unhealthy(format!("{e}.")),
        Err(e) => unhealthy(format!("The Kafka cluster check failed: {e}.")),
    }
}

fn unhealthy(stage: String) -> (StatusCode, Json<WorkerStatus>) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(WorkerStatus {
            status: "unhealthy".into(),
            message: format!(
                "Worker was unable to handle this request and may be unable to handle other requests. {stage}"
            ),
        }),
    )
}
