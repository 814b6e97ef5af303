//! Kafka Connect's REST API, served by every worker: the same paths, status codes, JSON shapes and
//! `{"error_code", "message"}` errors as Kafka Connect, so existing clients work unchanged.
//!
//! axum on a small tokio runtime of its own (the worker's tasks run on their own threads); each
//! request's herder work runs on the blocking pool with Kafka's 90 s request timeout. The OpenAPI
//! document at `/openapi.json` is generated from the handlers' annotations (utoipa), so it cannot
//! drift from the routes.

mod config;
mod connectors;
pub mod entities;
pub mod error;
mod forward;
mod loggers;
mod metrics;
mod plugins;
mod root;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use config::{BoundListeners, RestConfig, DEFAULT_LISTENER};

use crate::error::{Error, Result};
use crate::rest::error::{method_not_allowed_fallback, not_found_fallback, ApiError, MAX_REQUEST_BODY_BYTES};
use crate::runtime::herder::Herder;

/// Kafka's REST request timeout (`RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ferroconnect REST API",
        description = "Kafka Connect's REST API as ferroconnect serves it: Kafka Connect's paths, \
                       status codes, JSON shapes and errors."
    ),
    components(schemas(error::ErrorMessage))
)]
struct ApiDoc;

/// What every handler gets.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) herder: Herder,
}

impl AppState {
    /// Runs herder work on the blocking pool, with Kafka's request timeout.
    pub(crate) async fn run<T, F>(&self, work: F) -> std::result::Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Herder) -> Result<T> + Send + 'static,
    {
        let herder = self.herder.clone();
        let job = tokio::task::spawn_blocking(move || work(&herder));
        match tokio::time::timeout(REQUEST_TIMEOUT, job).await {
            Ok(Ok(outcome)) => outcome.map_err(ApiError::from),
            Ok(Err(panic)) => Err(ApiError::from(Error::Connector(format!("The request failed: {panic}")))),
            Err(_) => Err(ApiError::from(Error::Connector("Request timed out".into()))),
        }
    }
}

/// The values of a repeatable query parameter.
pub(crate) fn query_values(query: Option<&str>, key: &str) -> Vec<String> {
    query
        .map(|q| form_urlencoded::parse(q.as_bytes()).filter(|(k, _)| k == key).map(|(_, v)| v.into_owned()).collect())
        .unwrap_or_default()
}

/// A boolean query parameter: `true` or `false` in any case. Kafka (JAX-RS `Boolean.valueOf`)
/// reads any other value as false; here it is a 400, so that a typo is not silently ignored.
pub(crate) fn query_flag(query: Option<&str>, key: &str, default: bool) -> std::result::Result<bool, ApiError> {
    match query_values(query, key).first() {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => {
            Err(ApiError::bad_request(format!("Invalid value {v} for query parameter {key}: expected true or false")))
        }
    }
}

async fn log_request(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::debug!("{method} {path} {} {}ms", response.status().as_u16(), started.elapsed().as_millis());
    response
}

/// The routes and the OpenAPI document: `(main, admin)`; admin routes join the main router unless
/// they have listeners of their own (`admin.listeners`), and are left out when those are empty.
fn routers(state: AppState, admin_apart: bool, admin_enabled: bool) -> (Router, Router) {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(root::routes())
        .merge(metrics::routes())
        .merge(connectors::routes())
        .merge(plugins::routes());
    if admin_enabled && !admin_apart {
        api = api.merge(loggers::routes());
    }
    let (main, mut doc) = api.split_for_parts();
    if admin_enabled && admin_apart {
        // Documented with the rest of the API; served on the admin listeners.
        let (_, admin_doc) = loggers::routes().split_for_parts();
        doc.merge(admin_doc);
    }
    let doc = Arc::new(doc);
    let finish = |router: Router<AppState>| {
        router
            .fallback(not_found_fallback)
            .method_not_allowed_fallback(method_not_allowed_fallback)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
            .layer(axum::middleware::from_fn_with_state(state.clone(), forward::forward_layer))
            .layer(axum::middleware::from_fn(crate::rest::error::limit_body))
            .layer(axum::middleware::from_fn(log_request))
            .with_state(state.clone())
    };
    let mut main = main.route("/openapi.json", axum::routing::get(move || async move { Json((*doc).clone()) }));
    if state.herder.cluster().is_some() {
        // Internal (worker to leader): distributed mode only, and not in the OpenAPI document, as
        // in Kafka.
        main = main.route("/connectors/{connector}/tasks", axum::routing::post(forward::put_task_configs));
    }
    let (admin, _) = loggers::routes().split_for_parts();
    (finish(main), finish(admin))
}

/// The running REST server. Dropping it stops it.
pub struct RestServer {
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: tokio::sync::watch::Sender<bool>,
    url: String,
}

impl RestServer {
    /// Serves the API on already bound listeners (see [`BoundListeners::bind`]).
    pub fn start(bound: BoundListeners, herder: Herder, config: &RestConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rest")
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the REST server's runtime", e))?;
        let state = AppState { herder };
        let admin_apart = bound.admin.is_some();
        let admin_enabled = config.admin_listeners.as_ref().is_none_or(|l| !l.is_empty());
        let (main, admin) = routers(state, admin_apart, admin_enabled);
        let (shutdown, stopped) = tokio::sync::watch::channel(false);
        let url = bound.url().to_owned();
        // What was really bound (`listeners=http://:8083` is every interface), not the URL for clients.
        let addresses: Vec<String> =
            bound.main.iter().filter_map(|l| l.local_addr().ok()).map(|a| format!("http://{a}")).collect();
        let _entered = runtime.enter();
        let serve = |listener: std::net::TcpListener, router: Router| -> Result<()> {
            let listener =
                tokio::net::TcpListener::from_std(listener).map_err(|e| Error::io("serving the REST listener", e))?;
            let mut stopped = stopped.clone();
            runtime.spawn(async move {
                let signal = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(signal).await {
                    tracing::error!("the REST server failed: {e}");
                }
            });
            Ok(())
        };
        for listener in bound.main {
            serve(listener, main.clone())?;
        }
        for listener in bound.admin.into_iter().flatten() {
            serve(listener, admin.clone())?;
        }
        drop(_entered);
        tracing::info!("REST server listening on {}", addresses.join(", "));
        Ok(RestServer { runtime: Some(runtime), shutdown, url })
    }

    /// The URL of the first listener.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting requests and waits briefly for those in flight.
    pub fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for RestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The OpenAPI document of the whole API (what `/openapi.json` serves), for tools and tests.
pub fn openapi_json() -> String {
    let (_, mut doc) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(root::routes())
        .merge(metrics::routes())
        .merge(connectors::routes())
        .merge(plugins::routes())
        .merge(loggers::routes())
        .split_for_parts();
    doc.info.version = crate::version().to_owned();
    doc.to_pretty_json().expect("the OpenAPI document serializes")
}
