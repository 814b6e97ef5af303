//! `/admin/loggers`: Kafka Connect's `LoggingResource` (KIP-495) over [`crate::logging`]. A logger
//! is a `tracing` target such as `ferroconnect_core::runtime::worker`; `root` is the default level.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::logging::{loggers, LoggerLevel};
use crate::rest::entities::LevelRequest;
use crate::rest::error::{ApiError, ErrorMessage, JsonBody};
use crate::rest::{query_values, AppState};

const TAG: &str = "admin";

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_loggers)).routes(routes!(get_logger, set_level))
}

/// Loggers whose level was set explicitly, and `root`.
#[utoipa::path(get, path = "/admin/loggers", tag = TAG,
    responses((status = 200, body = std::collections::HashMap<String, LoggerLevel>)))]
async fn list_loggers() -> Json<BTreeMap<String, LoggerLevel>> {
    Json(loggers().all_levels())
}

/// One logger's level (its effective level if not set explicitly).
#[utoipa::path(get, path = "/admin/loggers/{logger}", tag = TAG, params(("logger" = String, Path, example = "root")),
    responses((status = 200, body = LoggerLevel), (status = 404, description = "No code logged through it", body = ErrorMessage)))]
async fn get_logger(Path(logger): Path<String>) -> Result<Json<LoggerLevel>, ApiError> {
    loggers().level(&logger).map(Json).ok_or_else(|| ApiError::not_found(format!("Logger {logger} not found.")))
}

/// Set the level of a logger and every known logger under it.
#[utoipa::path(put, path = "/admin/loggers/{logger}", tag = TAG,
    params(("logger" = String, Path, example = "root"),
        ("scope" = Option<String>, Query, description = "`worker` (default) or `cluster`; one worker is the whole cluster in standalone mode")),
    request_body(content = LevelRequest, example = json!({"level": "DEBUG"})),
    responses((status = 200, description = "The affected loggers", body = Vec<String>),
        (status = 204, description = "scope=cluster: applied"),
        (status = 400, description = "No `level`", body = ErrorMessage),
        (status = 404, description = "Not a log level", body = ErrorMessage),
        (status = 413, body = ErrorMessage), (status = 415, body = ErrorMessage)))]
async fn set_level(
    Path(logger): Path<String>,
    RawQuery(query): RawQuery,
    JsonBody(request): JsonBody<LevelRequest>,
) -> Result<Response, ApiError> {
    let level = request
        .level
        .ok_or_else(|| ApiError::bad_request("Desired 'level' parameter was not specified in request."))?;
    let affected = loggers()
        .set_level(&logger, &level)
        .map_err(|_| ApiError::not_found(format!("invalid log level '{level}'.")))?;
    let cluster = query_values(query.as_deref(), "scope").first().is_some_and(|s| s.eq_ignore_ascii_case("cluster"));
    Ok(if cluster { StatusCode::NO_CONTENT.into_response() } else { Json(affected).into_response() })
}
