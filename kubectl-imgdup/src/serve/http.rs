//! `/metrics`, `/healthz`, `/report` over HTTP/1.1 (hyper through axum).
//!
//! Every connection is bounded: its request headers must arrive within
//! [`HEADER_TIMEOUT`] (hyper's timer; a client that trickles bytes is cut),
//! and it lives at most [`CONNECTION_LIFETIME`], long enough for many
//! keep-alive scrapes. On shutdown, requests under way finish within
//! [`DRAIN`]; new connections are refused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use super::State;

pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);
pub const DRAIN: Duration = Duration::from_secs(5);

fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/report", get(report))
        .with_state(state)
}

async fn metrics(axum::extract::State(s): axum::extract::State<Arc<State>>) -> Response {
    let (body, content_type) = s.metrics.encode();
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn healthz(axum::extract::State(s): axum::extract::State<Arc<State>>) -> &'static str {
    match s.report() {
        Some(_) => "ok\n",
        None => "ok (first scan pending)\n",
    }
}

/// The last NodeReport, exactly as `node --local -o json` prints it.
async fn report(axum::extract::State(s): axum::extract::State<Arc<State>>) -> Response {
    match s.report() {
        Some(json) => (
            [(header::CONTENT_TYPE, "application/json")],
            json.to_string(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the first scan has not finished yet; retry in a few seconds\n",
        )
            .into_response(),
    }
}

/// Serves until `stop` resolves, then drains the connections under way.
pub async fn serve(listener: TcpListener, state: Arc<State>, stop: impl Future<Output = ()>) {
    let app = router(state);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    let builder = builder.http1_only();
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and the like: wait instead of spinning.
                    eprintln!("serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A connection past its lifetime is dropped; the client reconnects.
            if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
                eprintln!("serve: {peer}: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("serve: connections still open after {DRAIN:?}; closing them");
    }
}
