//! Watches: newline-delimited `{"type":..., "object":...}` events over a
//! chunked answer, from a resourceVersion (history permitting: otherwise
//! one ERROR event with a 410 Expired Status, as the real server sends),
//! with label/field selectors (an object leaving the selection is DELETED,
//! one entering it ADDED), timeoutSeconds, and the `dropAfterEvents` fault.
//! No BOOKMARK is sent (a real server may omit them too).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::Sim;
use super::routes::ListParams;
use super::status::ApiError;
use super::store::{Change, ChangeType, Kind};

struct Watcher {
    kind: Kind,
    ns: Option<String>,
    p: ListParams,
    tx: mpsc::Sender<Bytes>,
    sent: usize,
    drop_after: Option<usize>,
}

impl Watcher {
    fn in_scope(&self, obj: &Value) -> bool {
        self.ns
            .as_deref()
            .is_none_or(|ns| obj["metadata"]["namespace"].as_str() == Some(ns))
    }

    /// Sends an event; false when the watch must end.
    async fn send(&mut self, typ: &str, object: &Value) -> bool {
        let mut line =
            serde_json::to_vec(&json!({"type": typ, "object": object})).unwrap_or_default();
        line.push(b'\n');
        if self.tx.send(Bytes::from(line)).await.is_err() {
            return false;
        }
        self.sent += 1;
        self.drop_after.is_none_or(|n| self.sent < n)
    }
}

fn expired(rv: u64, oldest: u64) -> Value {
    ApiError::expired(format!("too old resource version: {rv} ({oldest})")).status()
}

pub fn serve(
    sim: Arc<Sim>,
    kind: Kind,
    ns: Option<String>,
    p: ListParams,
    drop_after: Option<usize>,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let w = Watcher {
        kind,
        ns,
        p,
        tx,
        sent: 0,
        drop_after,
    };
    let changes = sim.store.subscribe();
    let closing = sim.closing();
    tokio::spawn(watch(sim, w, changes, closing));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    resp
}

/// Sends the watch's events until it times out, the client goes, the
/// server closes, or its history is gone (410).
async fn watch(
    sim: Arc<Sim>,
    mut w: Watcher,
    mut changes: watch::Receiver<u64>,
    mut closing: watch::Receiver<bool>,
) {
    let Some(mut cursor) = start(&sim, &mut w).await else {
        return;
    };
    let timeout = tokio::time::sleep(Duration::from_secs(w.p.timeout_seconds.unwrap_or(1800)));
    tokio::pin!(timeout);
    loop {
        match sim.store.changes_since(cursor) {
            Err(oldest) => {
                w.send("ERROR", &expired(cursor, oldest)).await;
                return;
            }
            Ok(list) => {
                for c in list {
                    cursor = c.rv;
                    let Some(typ) = event_type(&w, &c) else {
                        continue;
                    };
                    if !w.send(typ, &c.object).await {
                        return;
                    }
                }
            }
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            _ = &mut timeout => return,
            _ = w.tx.closed() => return,
            _ = closing.changed() => return,
        }
    }
}

/// The resourceVersion to watch from: with none (or "0"), the current list
/// is sent as ADDED first. `None` when the watch has ended already.
async fn start(sim: &Sim, w: &mut Watcher) -> Option<u64> {
    let rv_param = w.p.resource_version.clone();
    if rv_param.is_empty() || rv_param == "0" {
        let (items, rv) = sim.store.list(w.kind, w.ns.as_deref());
        for o in &items {
            if w.p.matches(o) && !w.send("ADDED", o).await {
                return None;
            }
        }
        return Some(rv);
    }
    match rv_param.parse::<u64>() {
        Ok(rv) => Some(rv),
        Err(_) => {
            let st =
                ApiError::bad_request(format!("invalid resource version: {rv_param}")).status();
            w.send("ERROR", &st).await;
            None
        }
    }
}

/// The event a change is to this watch: an object entering its selection
/// is ADDED, one leaving it DELETED; `None` when it does not concern it.
fn event_type(w: &Watcher, c: &Change) -> Option<&'static str> {
    if c.kind != w.kind || !w.in_scope(&c.object) {
        return None;
    }
    let now_in = w.p.matches(&c.object);
    let was_in = c.prev.as_ref().is_some_and(|p| w.p.matches(p));
    Some(match (c.typ, was_in, now_in) {
        (ChangeType::Added, _, true) => "ADDED",
        (ChangeType::Modified, true, true) => "MODIFIED",
        (ChangeType::Modified, false, true) => "ADDED",
        (ChangeType::Modified, true, false) => "DELETED",
        (ChangeType::Deleted, true, _) => "DELETED",
        _ => return None,
    })
}
