//! Distributed mode's request forwarding (Kafka Connect's `HerderRequestHandler`): a request this
//! worker may not answer (a config change on a follower, a restart of a task running elsewhere)
//! is sent on to the worker that may, and its answer passed back as it came. The first hop adds
//! `forward=true`; a request that arrives with `forward=true` and must move again goes with
//! `forward=false`; one that arrives with `forward=false` and must move gets 409.
//!
//! Also the internal endpoint `POST /connectors/{c}/tasks` (hidden from the OpenAPI document, as
//! Kafka hides `InternalClusterResource`).

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::cluster::rest_client::{PeerClient, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER};
use crate::rest::error::{ApiError, ForwardTo, MAX_REQUEST_BODY_BYTES};
use crate::rest::{query_values, AppState};
use crate::runtime::cluster_requests::RequestSignature;

/// Headers passed on: Kafka copies `Authorization`; the signature headers keep an internal
/// request's signature valid (the body is passed on byte for byte).
const PASSED_HEADERS: [&str; 3] = ["authorization", SIGNATURE_HEADER, SIGNATURE_ALGORITHM_HEADER];

/// The client for forwarded requests, with Kafka's REST request timeout.
fn peers() -> PeerClient {
    static PEERS: std::sync::OnceLock<PeerClient> = std::sync::OnceLock::new();
    PEERS.get_or_init(|| PeerClient::new(std::time::Duration::from_secs(90))).clone()
}

/// The query of the next hop, or `None` when the request already made its two hops.
fn next_hop_query(query: Option<&str>) -> Option<String> {
    let forward = query_values(query, "forward").first().map(|v| v.to_ascii_lowercase());
    let next = match forward.as_deref() {
        None => "true",
        Some("true") => "false",
        Some(_) => return None,
    };
    let mut pairs: Vec<(String, String)> = query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != "forward")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    pairs.push(("forward".into(), next.into()));
    Some(form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
}

/// Runs the request here; when the answer says another worker must handle it, asks that one.
pub(crate) async fn forward_layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.herder.cluster().is_none() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await {
        Ok(body) => body,
        // Too large or unreadable: the handler's own extractor gives Kafka's answer.
        Err(_) => return next.run(Request::from_parts(parts, Body::empty())).await,
    };
    let response = next.run(Request::from_parts(parts.clone(), Body::from(body.clone()))).await;
    let Some(ForwardTo(target)) = response.extensions().get::<ForwardTo>().cloned() else { return response };
    let Some(query) = next_hop_query(parts.uri.query()) else {
        return ApiError::new(
            StatusCode::CONFLICT,
            "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
        )
        .into_response();
    };
    let url = format!("{}{}?{query}", target.trim_end_matches('/'), parts.uri.path());
    let headers: Vec<(String, String)> = PASSED_HEADERS
        .iter()
        .filter_map(|name| {
            parts.headers.get(*name).and_then(|v| v.to_str().ok()).map(|v| ((*name).to_owned(), v.to_owned()))
        })
        .collect();
    let method = parts.method.as_str().to_owned();
    tracing::debug!("forwarding {method} {} to {url}", parts.uri.path());
    let peers = peers();
    let sent = tokio::task::spawn_blocking(move || {
        let body = (!body.is_empty()).then_some(body.as_ref());
        peers.send(&method, &url, &headers, body)
    })
    .await;
    match sent {
        Ok(Ok(answer)) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (status, answer.body).into_response();
            if let Some(content_type) = answer.content_type.and_then(|c| c.parse().ok()) {
                response.headers_mut().insert(axum::http::header::CONTENT_TYPE, content_type);
            }
            response
        }
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("Forwarding failed: {e}")).into_response(),
    }
}

/// The signature headers of an internal request (KIP-507), as given.
fn signature_of(headers: &HeaderMap) -> RequestSignature {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    RequestSignature { algorithm: header(SIGNATURE_ALGORITHM_HEADER), signature: header(SIGNATURE_HEADER) }
}

/// The internal `POST /connectors/{connector}/tasks`: task configs from the worker running the
/// connector, for the leader to write (routed in distributed mode only).
pub(crate) async fn put_task_configs(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let signature = signature_of(&headers);
    state
        .run(move |herder| match herder.cluster() {
            Some(cluster) => cluster.put_task_configs(&connector, &body, signature),
            None => Err(crate::error::Error::NotFound(crate::rest::error::status_text(StatusCode::NOT_FOUND))),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The internal `PUT /connectors/{connector}/fence`: a round of zombie fencing for an exactly-once
/// source connector, by the leader (routed in distributed mode only).
pub(crate) async fn fence_zombies(
    State(state): State<AppState>,
    Path(connector): Path<String>,
    RawQuery(_query): RawQuery,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let signature = signature_of(&headers);
    state
        .run(move |herder| match herder.cluster() {
            Some(cluster) => cluster.fence_zombies(&connector, signature),
            None => Err(crate::error::Error::NotFound(crate::rest::error::status_text(StatusCode::NOT_FOUND))),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hops_at_most() {
        assert_eq!(next_hop_query(None).as_deref(), Some("forward=true"));
        assert_eq!(next_hop_query(Some("includeTasks=true")).as_deref(), Some("includeTasks=true&forward=true"));
        assert_eq!(
            next_hop_query(Some("forward=true&onlyFailed=true")).as_deref(),
            Some("onlyFailed=true&forward=false")
        );
        assert_eq!(next_hop_query(Some("forward=false")), None);
    }
}
