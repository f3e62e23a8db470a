//! The request budget of a run: every API request is counted by verb and by
//! node (retries included), so `-v` and `apiCalls` show what a run cost the
//! API server, and every request goes through the retry policy.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::retry::{CallError, RetryPolicy};
use crate::model::cluster_report::ApiCalls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Preflight,
    List,
    Watch,
    Create,
    Get,
    Log,
    Delete,
}

/// Shared by every node task of a run.
#[derive(Debug, Default)]
pub struct Calls {
    pub policy: RetryPolicy,
    by_verb: [AtomicU32; 7],
    retries: AtomicU32,
    per_node: Mutex<BTreeMap<String, u32>>,
}

/// A client that counts every watch connection it opens, reconnects
/// included: kube-runtime's watcher reopens a watch that the server ended (a
/// watcher that fell behind, or one at its ~290 s timeout) without telling
/// its caller, so only the request itself shows it.
pub fn counting_client(
    config: kube::Config,
    calls: Arc<Calls>,
) -> Result<kube::Client, kube::Error> {
    let count =
        tower::util::MapRequestLayer::new(move |req: hyper::http::Request<kube::client::Body>| {
            if is_watch(req.uri().query()) {
                calls.note(Verb::Watch, None);
            }
            req
        });
    Ok(kube::client::ClientBuilder::try_from(config)?
        .with_layer(&count)
        .build())
}

/// `watch=true` (or `1`) in a request's query: a watch connection.
fn is_watch(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|kv| kv == "watch=true" || kv == "watch=1"))
}

impl Calls {
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            ..Default::default()
        }
    }

    /// Counts one request made outside [`Calls::run`] (a watch connection,
    /// from [`counting_client`], or the watcher's list).
    pub fn note(&self, verb: Verb, node: Option<&str>) {
        self.by_verb[verb as usize].fetch_add(1, Ordering::Relaxed);
        if let Some(node) = node {
            let mut map = self.per_node.lock().unwrap_or_else(|p| p.into_inner());
            *map.entry(node.to_string()).or_default() += 1;
        }
    }

    /// One API call under the retry policy; each attempt is counted.
    pub async fn run<T, F, Fut>(
        &self,
        verb: Verb,
        node: Option<&str>,
        call: F,
    ) -> Result<T, CallError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        self.run_with(&self.policy, verb, node, call).await
    }

    /// [`Calls::run`] under another policy (preflight's: no retry when the
    /// server does not answer at all).
    pub async fn run_with<T, F, Fut>(
        &self,
        policy: &RetryPolicy,
        verb: Verb,
        node: Option<&str>,
        mut call: F,
    ) -> Result<T, CallError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        policy
            .run(
                |attempt| {
                    self.note(verb, node);
                    call(attempt)
                },
                || {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                },
            )
            .await
    }

    /// Requests per node (agent pod create, get, log, delete).
    pub fn per_node(&self) -> BTreeMap<String, u32> {
        self.per_node
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn snapshot(&self) -> ApiCalls {
        let n = |v: Verb| self.by_verb[v as usize].load(Ordering::Relaxed);
        ApiCalls {
            preflight: n(Verb::Preflight),
            list: n(Verb::List),
            watch: n(Verb::Watch),
            create: n(Verb::Create),
            get: n(Verb::Get),
            log: n(Verb::Log),
            delete: n(Verb::Delete),
            retries: self.retries.load(Ordering::Relaxed),
            max_per_node: self.per_node().values().copied().max().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_watch_requests_count_as_watches() {
        assert!(is_watch(Some(
            "labelSelector=a%3Db&watch=true&timeoutSeconds=290"
        )));
        assert!(is_watch(Some("watch=1")));
        assert!(!is_watch(Some("labelSelector=a%3Db")));
        assert!(!is_watch(Some("watch=false")));
        assert!(!is_watch(Some("allowWatchBookmarks=true")));
        assert!(!is_watch(None));
    }
}
