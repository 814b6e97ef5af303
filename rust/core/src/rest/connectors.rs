//! `/connectors`: Kafka Connect's `ConnectorsResource`, one handler per endpoint, each with
//! Kafka's status codes. Handlers run the herder's blocking work on tokio's blocking pool.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tracing::debug;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Error;
use crate::rest::entities::{ConfigBody, ConfigText, ConfigTextOrNull, CreateConnectorRequest, InitialState};
use crate::rest::error::{ApiError, ErrorMessage, JsonBody};
use crate::rest::{query_flag, query_values, AppState};
use crate::runtime::entities::{ActiveTopicsInfo, ConnectorInfo, ConnectorOffsets, Message, TaskInfo};
use crate::runtime::herder::RawConfig;
use crate::runtime::status::{ConnectorStateInfo, TaskState};
use crate::runtime::worker::TargetState;

const TAG: &str = "connectors";

/// One connector of `GET /connectors?expand=...`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpandedConnector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectorStateInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<ConnectorInfo>,
}

/// `GET /connectors`: names, or with `expand` each connector's status and/or info.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ConnectorList {
    Names(Vec<String>),
    Expanded(BTreeMap<String, ExpandedConnector>),
}

// The deprecated tasks-config endpoint is served on purpose (Kafka still serves it).
#[allow(deprecated)]
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connectors, create_connector))
        .routes(routes!(get_connector, delete_connector))
        .routes(routes!(get_connector_config, put_connector_config, patch_connector_config))
        .routes(routes!(get_connector_status))
        .routes(routes!(get_tasks))
        .routes(routes!(get_tasks_config))
        .routes(routes!(get_task_status))
        .routes(routes!(restart_connector))
        .routes(routes!(restart_task))
        .routes(routes!(pause_connector))
        .routes(routes!(resume_connector))
        .routes(routes!(stop_connector))
        .routes(routes!(get_active_topics))
        .routes(routes!(reset_active_topics))
        .routes(routes!(get_offsets, alter_offsets, reset_offsets))
}

fn location(name: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/connectors/{}", encoded.replace('+', "%20"))
}

/// Kafka's task ids are integers; a path that is not one names no task.
fn task_id(connector: &str, task: &str) -> Result<u32, ApiError> {
    task.parse::<u32>().map_err(|_| ApiError::not_found(format!("No status found for task {connector}-{task}")))
}

/// List the connectors.
#[utoipa::path(get, path = "/connectors", tag = TAG,
    params(("expand" = Option<Vec<String>>, Query, description = "`status` and/or `info` (repeatable); unknown values are ignored")),
    responses((status = 200, description = "Names, or with `expand` a map of name to status/info", body = ConnectorList)))]
async fn list_connectors(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<ConnectorList>, ApiError> {
    // Kafka answers with the map as soon as `expand` is present, even with only unknown values.
    if !has_key(query.as_deref(), "expand") {
        return Ok(Json(ConnectorList::Names(state.herder.connectors())));
    }
    let expand = query_values(query.as_deref(), "expand");
    state
        .run(move |herder| {
            let (want_status, want_info) = (expand.iter().any(|e| e == "status"), expand.iter().any(|e| e == "info"));
            let mut out = BTreeMap::new();
            for name in herder.connectors() {
                let expanded = (|| {
                    let status = want_status.then(|| herder.status(&name)).transpose()?;
                    let info = want_info.then(|| herder.connector_info(&name)).transpose()?;
                    Ok::<_, Error>(ExpandedConnector { status, info })
                })();
                match expanded {
                    Ok(expanded) => {
                        out.insert(name, expanded);
                    }
                    // Deleted (or not yet complete) between the listing and the lookup: left out, as
                    // Kafka's ConnectorsResource does, rather than answered as `"name": {}`.
                    Err(Error::NotFound(_)) => debug!(connector = name, "left out of the expanded list: not found"),
                    Err(e) => return Err(e),
                }
            }
            Ok(Json(ConnectorList::Expanded(out)))
        })
        .await
}

fn has_key(query: Option<&str>, key: &str) -> bool {
    query.is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == key))
}

/// Create a connector.
#[utoipa::path(post, path = "/connectors", tag = TAG, request_body = CreateConnectorRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = ConnectorInfo,
            headers(("Location" = String, description = "/connectors/{name}"))),
        (status = 400, description = "Invalid config (every error listed) or body", body = ErrorMessage),
        (status = 409, description = "A connector of that name exists", body = ErrorMessage),
        (status = 413, description = "The body is over 2 MiB", body = ErrorMessage),
        (status = 415, description = "The body is not JSON", body = ErrorMessage)))]
async fn create_connector(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<CreateConnectorRequest>,
) -> Result<Response, ApiError> {
    let name = request.name.unwrap_or_default().trim().to_owned();
    let config =
        request.config.ok_or_else(|| ApiError::bad_request("The request has no connector config ('config')"))?;
    let initial = request.initial_state.map(|s| match s {
        InitialState::Running => TargetState::Started,
        InitialState::Paused => TargetState::Paused,
        InitialState::Stopped => TargetState::Stopped,
    });
    let info = state.run(move |herder| herder.create_connector(&name, config.0, initial)).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location(&info.name))], Json(info)).into_response())
}

/// A connector's config, tasks and type.
#[utoipa::path(get, path = "/connectors/{connector}", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = ConnectorInfo), (status = 404, body = ErrorMessage)))]
async fn get_connector(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ConnectorInfo>, ApiError> {
    state.run(move |herder| herder.connector_info(&name).map(Json)).await
}

/// Delete a connector (its offsets are kept).
#[utoipa::path(delete, path = "/connectors/{connector}", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorMessage)))]
async fn delete_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    state.run(move |herder| herder.delete_connector(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A connector's config as stored (config-provider placeholders unresolved).
#[utoipa::path(get, path = "/connectors/{connector}/config", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = std::collections::HashMap<String, String>), (status = 404, body = ErrorMessage)))]
async fn get_connector_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<BTreeMap<String, String>>, ApiError> {
    state.run(move |herder| herder.connector_config(&name).map(Json)).await
}

/// Create a connector or replace its config.
#[utoipa::path(put, path = "/connectors/{connector}/config", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    request_body(content = std::collections::HashMap<String, ConfigText>, example = json!({
        "connector.class": "FileStreamSource", "tasks.max": "1", "file": "/tmp/test.txt", "topic": "connect-test"})),
    responses(
        (status = 200, description = "Updated", body = ConnectorInfo),
        (status = 201, description = "Created", body = ConnectorInfo,
            headers(("Location" = String, description = "/connectors/{name}"))),
        (status = 400, body = ErrorMessage), (status = 413, body = ErrorMessage), (status = 415, body = ErrorMessage)))]
async fn put_connector_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(config): JsonBody<ConfigBody>,
) -> Result<Response, ApiError> {
    let (created, info) = state.run(move |herder| herder.put_connector_config(&name, config.0)).await?;
    Ok(if created {
        (StatusCode::CREATED, [(header::LOCATION, location(&info.name))], Json(info)).into_response()
    } else {
        Json(info).into_response()
    })
}

/// Change some keys of a connector's config (`null` removes a key).
#[utoipa::path(patch, path = "/connectors/{connector}/config", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    request_body(content = std::collections::HashMap<String, ConfigTextOrNull>, example = json!({"batch.size": null})),
    responses((status = 200, body = ConnectorInfo), (status = 400, body = ErrorMessage),
        (status = 404, body = ErrorMessage), (status = 413, body = ErrorMessage), (status = 415, body = ErrorMessage)))]
async fn patch_connector_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(patch): JsonBody<ConfigBody>,
) -> Result<Json<ConnectorInfo>, ApiError> {
    let patch: RawConfig = patch.0;
    state.run(move |herder| herder.patch_connector_config(&name, patch).map(Json)).await
}

/// The state of a connector and its tasks.
#[utoipa::path(get, path = "/connectors/{connector}/status", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = ConnectorStateInfo), (status = 404, body = ErrorMessage)))]
async fn get_connector_status(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ConnectorStateInfo>, ApiError> {
    state.run(move |herder| herder.status(&name).map(Json)).await
}

/// The tasks and their configs.
#[utoipa::path(get, path = "/connectors/{connector}/tasks", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = Vec<TaskInfo>), (status = 404, body = ErrorMessage)))]
async fn get_tasks(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<Vec<TaskInfo>>, ApiError> {
    state.run(move |herder| herder.task_infos(&name).map(Json)).await
}

/// The task configs by task id (deprecated in Kafka: use `/tasks`).
#[utoipa::path(get, path = "/connectors/{connector}/tasks-config", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = std::collections::HashMap<String, std::collections::HashMap<String, String>>),
        (status = 404, body = ErrorMessage)))]
#[deprecated = "Kafka Connect deprecated this endpoint; use GET /connectors/{connector}/tasks"]
async fn get_tasks_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<crate::runtime::entities::TasksConfig>, ApiError> {
    state.run(move |herder| herder.tasks_config(&name).map(Json)).await
}

/// The state of one task.
#[utoipa::path(get, path = "/connectors/{connector}/tasks/{task}/status", tag = TAG,
    params(("connector" = String, Path, example = "local-file-source"), ("task" = i32, Path, example = 0)),
    responses((status = 200, body = TaskState), (status = 404, body = ErrorMessage)))]
async fn get_task_status(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<Json<TaskState>, ApiError> {
    let task = task_id(&name, &task)?;
    state.run(move |herder| herder.task_status(&name, task).map(Json)).await
}

/// Restart a connector; with `includeTasks` its tasks; with `onlyFailed` only the FAILED ones.
#[utoipa::path(post, path = "/connectors/{connector}/restart", tag = TAG,
    params(("connector" = String, Path, example = "local-file-source"),
        ("includeTasks" = Option<bool>, Query, description = "Also restart the tasks (default false)"),
        ("onlyFailed" = Option<bool>, Query, description = "Only restart FAILED instances (default false)")),
    responses(
        (status = 202, description = "Restarting: the plan, instances to restart in RESTARTING", body = ConnectorStateInfo),
        (status = 204, description = "Connector instance restarted (both flags false)"),
        (status = 400, description = "A flag that is neither true nor false", body = ErrorMessage),
        (status = 404, body = ErrorMessage)))]
async fn restart_connector(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let include_tasks = query_flag(query.as_deref(), "includeTasks", false)?;
    let only_failed = query_flag(query.as_deref(), "onlyFailed", false)?;
    if !include_tasks && !only_failed {
        state.run(move |herder| herder.restart_connector(&name)).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let plan = state.run(move |herder| herder.restart_plan(&name, include_tasks, only_failed)).await?;
    Ok((StatusCode::ACCEPTED, Json(plan)).into_response())
}

/// Restart one task.
#[utoipa::path(post, path = "/connectors/{connector}/tasks/{task}/restart", tag = TAG,
    params(("connector" = String, Path, example = "local-file-source"), ("task" = i32, Path, example = 0)),
    responses((status = 204, description = "Restarted"), (status = 404, body = ErrorMessage)))]
async fn restart_task(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let task = task.parse::<u32>().map_err(|_| ApiError::not_found(format!("Task {name}-{task} not found")))?;
    state.run(move |herder| herder.restart_task(&name, task)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pause a connector (idempotent).
#[utoipa::path(put, path = "/connectors/{connector}/pause", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 202, description = "Pausing"), (status = 404, body = ErrorMessage)))]
async fn pause_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    state.run(move |herder| herder.pause(&name)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Resume a paused or stopped connector (idempotent).
#[utoipa::path(put, path = "/connectors/{connector}/resume", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 202, description = "Resuming"), (status = 404, body = ErrorMessage)))]
async fn resume_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    state.run(move |herder| herder.resume(&name)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Stop a connector: its tasks shut down, its config stays (idempotent).
#[utoipa::path(put, path = "/connectors/{connector}/stop", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 204, description = "Stopped"), (status = 404, body = ErrorMessage)))]
async fn stop_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    state.run(move |herder| herder.stop(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn tracking_disabled() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "Topic tracking is disabled.")
}

/// The topics a connector used (any name: unknown connectors have none).
#[utoipa::path(get, path = "/connectors/{connector}/topics", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = std::collections::HashMap<String, ActiveTopicsInfo>),
        (status = 403, description = "topic.tracking.enable=false", body = ErrorMessage)))]
async fn get_active_topics(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<BTreeMap<String, ActiveTopicsInfo>>, ApiError> {
    if !state.herder.worker().config().topic_tracking_enable {
        return Err(tracking_disabled());
    }
    // In distributed mode the status topic is read first: blocking work, off the async threads.
    let connector = name.clone();
    let topics = state.run(move |herder| Ok(herder.active_topics(&connector))).await?;
    Ok(Json(BTreeMap::from([(name, ActiveTopicsInfo { topics })])))
}

/// Forget the topics a connector used.
#[utoipa::path(put, path = "/connectors/{connector}/topics/reset", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 202, description = "Reset"),
        (status = 403, description = "Tracking or its reset is disabled", body = ErrorMessage)))]
async fn reset_active_topics(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let config = state.herder.worker().config();
    if !config.topic_tracking_enable {
        return Err(tracking_disabled());
    }
    if !config.topic_tracking_allow_reset {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Topic tracking reset is disabled."));
    }
    state
        .run(move |herder| {
            herder.reset_active_topics(&name);
            Ok(())
        })
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// The connector's committed source offsets.
#[utoipa::path(get, path = "/connectors/{connector}/offsets", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = ConnectorOffsets), (status = 404, body = ErrorMessage)))]
async fn get_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ConnectorOffsets>, ApiError> {
    state.run(move |herder| herder.offsets(&name).map(Json)).await
}

/// Alter offsets of a STOPPED connector (`offset: null` resets one partition).
#[utoipa::path(patch, path = "/connectors/{connector}/offsets", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    request_body(content = ConnectorOffsets, example = json!({
        "offsets": [{"partition": {"filename": "/tmp/test.txt"}, "offset": {"position": 7}}]})),
    responses((status = 200, body = Message), (status = 400, description = "Not STOPPED, bad offsets, or offsets the connector refuses", body = ErrorMessage),
        (status = 404, body = ErrorMessage), (status = 413, body = ErrorMessage), (status = 415, body = ErrorMessage)))]
async fn alter_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(offsets): JsonBody<ConnectorOffsets>,
) -> Result<Json<Message>, ApiError> {
    state.run(move |herder| herder.alter_offsets(&name, offsets).map(Json)).await
}

/// Reset every offset of a STOPPED connector.
#[utoipa::path(delete, path = "/connectors/{connector}/offsets", tag = TAG, params(("connector" = String, Path, example = "local-file-source")),
    responses((status = 200, body = Message), (status = 400, description = "Not STOPPED", body = ErrorMessage),
        (status = 404, body = ErrorMessage)))]
async fn reset_offsets(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<Message>, ApiError> {
    state.run(move |herder| herder.reset_offsets(&name).map(Json)).await
}
