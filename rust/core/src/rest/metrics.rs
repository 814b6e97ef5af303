//! `GET /metrics`: this worker's metrics as Prometheus text (ours: Kafka Connect serves its
//! metrics over JMX only). In a cluster each worker serves its own, as each JVM's JMX does.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::metrics::prometheus;
use crate::rest::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Kafka Connect's metrics of this worker and of the connectors and tasks it runs, in the
/// Prometheus (OpenMetrics) text format; see docs/metrics.md for the names.
#[utoipa::path(get, path = "/metrics", tag = "worker",
    responses((status = 200, description = "The metrics, as Prometheus text", content_type = "application/openmetrics-text", body = String)))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let worker = state.herder.worker().clone();
    // The worker's lock may be held by a connector operation: off the async threads.
    let text = tokio::task::spawn_blocking(move || prometheus::encode(worker.metrics())).await.unwrap_or_default();
    ([(CONTENT_TYPE, prometheus::CONTENT_TYPE)], text)
}
