//! `/connector-plugins`: Kafka Connect's `ConnectorPluginsResource` (list, config definitions,
//! validation).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::entities::{ConfigBody, ConfigTextOrNull};
use crate::rest::error::{ApiError, ErrorMessage, JsonBody};
use crate::rest::{query_flag, AppState};
use crate::runtime::entities::{ConfigInfos, ConfigKeyInfo, PluginInfo};
use crate::runtime::herder::Herder;

const TAG: &str = "connector-plugins";

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_plugins)).routes(routes!(plugin_config)).routes(routes!(validate_config))
}

/// The installed connector plugins (with `connectorsOnly=false`, converters too).
#[utoipa::path(get, path = "/connector-plugins", tag = TAG,
    params(("connectorsOnly" = Option<bool>, Query, description = "Only connectors (default true)")),
    responses((status = 200, body = Vec<PluginInfo>),
        (status = 400, description = "connectorsOnly is neither true nor false", body = ErrorMessage)))]
async fn list_plugins(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<PluginInfo>>, ApiError> {
    let connectors_only = query_flag(query.as_deref(), "connectorsOnly", true)?;
    state.run(move |herder| herder.plugins(connectors_only).map(Json)).await
}

/// A plugin's config keys: its own first, then the framework's.
#[utoipa::path(get, path = "/connector-plugins/{plugin}/config", tag = TAG,
    params(("plugin" = String, Path, example = "FileStreamSource",
        description = "Class name, simple name, or alias without the `Connector` suffix")),
    responses((status = 200, body = Vec<ConfigKeyInfo>), (status = 404, body = ErrorMessage)))]
async fn plugin_config(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
) -> Result<Json<Vec<ConfigKeyInfo>>, ApiError> {
    state.run(move |herder| herder.plugin_config(&plugin).map(Json)).await
}

/// Validate a connector config; 200 even when it has errors (`error_count`).
#[utoipa::path(put, path = "/connector-plugins/{plugin}/config/validate", tag = TAG,
    params(("plugin" = String, Path, example = "FileStreamSource")),
    request_body(content = std::collections::HashMap<String, ConfigTextOrNull>, example = json!({
        "connector.class": "FileStreamSource", "tasks.max": "1", "topic": "connect-test"})),
    responses((status = 200, body = ConfigInfos),
        (status = 400, description = "No `connector.class`, or one that does not match the path", body = ErrorMessage),
        (status = 413, body = ErrorMessage), (status = 415, body = ErrorMessage)))]
async fn validate_config(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    JsonBody(config): JsonBody<ConfigBody>,
) -> Result<Json<ConfigInfos>, ApiError> {
    if let Some(Some(class)) = config.0.get("connector.class") {
        if !Herder::plugin_matches(&plugin, class) {
            return Err(ApiError::bad_request(format!(
                "Included connector type {class} does not match request type {plugin}"
            )));
        }
    }
    state.run(move |herder| herder.validate(&config.0).map(Json)).await
}
