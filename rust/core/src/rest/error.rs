//! Kafka Connect's error body, `{"error_code": <status>, "message": "..."}`, for every failure:
//! the herder's errors by kind, malformed requests, unknown paths and methods. Also the JSON body
//! extractor whose rejections take that shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// The body of every error response (`ErrorMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorMessage {
    /// The HTTP status.
    pub error_code: u16,
    pub message: String,
}

/// A failed request: its status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Distributed mode: the worker that must answer instead (see `rest::forward`).
    pub forward_to: Option<String>,
}

/// Marks a response that must be replaced by the answer of the worker at this URL.
#[derive(Debug, Clone)]
pub struct ForwardTo(pub String);

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), forward_to: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<Error> for ApiError {
    /// The status of each kind of core error, as Kafka's `ConnectExceptionMapper` chooses it.
    fn from(error: Error) -> Self {
        let status = match &error {
            Error::BadRequest(_) | Error::InvalidConnectorConfig(_) | Error::Config { .. } | Error::ConfigErrors(_) => {
                StatusCode::BAD_REQUEST
            }
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            // No leader known (a rebalance is underway): Kafka's 409. With a URL, the forwarding
            // layer (`rest::forward`) sends the request on instead of answering this.
            Error::Forward { .. } => StatusCode::CONFLICT,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let forward_to = match &error {
            Error::Forward { url, .. } => url.clone(),
            _ => None,
        };
        let message = match &error {
            // Our config errors already say which key and why; without our prefix they read as Kafka's.
            Error::Config { .. } => crate::config::config_error_message(&error),
            _ => error.to_string(),
        };
        if status.is_server_error() {
            tracing::error!("REST request failed: {message}");
        }
        ApiError { status, message, forward_to }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorMessage { error_code: self.status.as_u16(), message: self.message };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(url) = self.forward_to {
            response.extensions_mut().insert(ForwardTo(url));
        }
        response
    }
}

/// Jersey's text for a bare status (`HTTP 404 Not Found`).
pub fn status_text(status: StatusCode) -> String {
    format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
}

/// Unknown paths (Kafka answers 404 in its error shape).
pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found(status_text(StatusCode::NOT_FOUND))
}

/// Known paths with another method (405, in the error shape).
pub async fn method_not_allowed_fallback() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, status_text(StatusCode::METHOD_NOT_ALLOWED))
}

/// The largest request body read (docs/rest.md): a connector config is a few kilobytes, and the
/// whole body is held in memory before it is parsed. Larger ones get 413.
pub const MAX_REQUEST_BODY_BYTES: usize = 2 << 20;

/// How much of a refused body is read and thrown away before the 413 goes out: a client that is
/// still sending when the server closes gets a connection reset instead of the answer.
const DRAIN_LIMIT_BYTES: usize = 64 << 20;

/// The body limit, applied before any handler: a body larger than [`MAX_REQUEST_BODY_BYTES`]
/// (by `Content-Length` or, chunked, as it arrives) is read to its end (up to
/// [`DRAIN_LIMIT_BYTES`]) and answered 413 in Kafka's error shape; a smaller one is passed on whole.
pub async fn limit_body(request: Request, next: axum::middleware::Next) -> Response {
    use http_body_util::BodyExt;
    let (parts, mut body) = request.into_parts();
    let mut kept: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return ApiError::bad_request("Could not read the request body").into_response();
        };
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total <= MAX_REQUEST_BODY_BYTES {
                kept.extend_from_slice(&data);
            } else if total > DRAIN_LIMIT_BYTES {
                break;
            }
        }
    }
    if total > MAX_REQUEST_BODY_BYTES {
        return too_large().into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(kept))).await
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The request body is larger than the limit of {MAX_REQUEST_BODY_BYTES} bytes ({} MiB)",
            MAX_REQUEST_BODY_BYTES >> 20
        ),
    )
}

/// A JSON request body. A `Content-Type` other than JSON is refused with 415 (Kafka's
/// `@Consumes(application/json)`); a missing one is taken as JSON, as curl users expect.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let json = content_type
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().eq_ignore_ascii_case("application/json") || v.trim().ends_with("+json"))
                .unwrap_or(false);
            if !json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    status_text(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                ));
            }
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request(format!("Could not read the request body: {e}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("The request needs a JSON body"));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("Could not parse the request body as JSON: {e}")))
    }
}
