//! Reading the `imgdup-serve` DaemonSet's reports instead of starting pods:
//! its pods (found by the labels of `deploy/daemonset.yaml`) already scan
//! their node every interval and serve the latest `NodeReport` on `/report`,
//! which the API server's pod proxy reaches without any network path from
//! here to the node.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, Client};

use super::calls::{Calls, Verb};
use crate::model::node_report::NodeReport;

/// The serve pods' labels (`deploy/daemonset.yaml`).
pub const SELECTOR: &str = "app.kubernetes.io/name=imgdup,app.kubernetes.io/component=serve";
pub const PORT: u16 = 9847;
/// One report read; a pod that does not answer in time falls back to an agent pod.
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);
/// Reports are small (a few hundred KiB on a busy node); bigger is not one.
const MAX_REPORT: usize = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("GET {path}: no answer within {timeout:?}")]
    Timeout { path: String, timeout: Duration },
    /// kube's error is only in `source`: [`crate::model::causes::joined`] says it.
    #[error("GET {path}")]
    Request { path: String, source: kube::Error },
    #[error("GET {path}: not a NodeReport ({why})")]
    NotAReport { path: String, why: String },
}

/// Node name → the first Running and Ready serve pod on it. `Err` is the
/// list failing (e.g. forbidden): the caller then uses agent pods everywhere.
pub async fn ready_pods(
    client: &Client,
    namespace: &str,
    calls: &Calls,
) -> Result<BTreeMap<String, String>, super::retry::CallError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels(SELECTOR);
    let pods = calls.run(Verb::List, None, |_| api.list(&params)).await?;
    let mut by_node = BTreeMap::new();
    for pod in pods.items {
        let (Some(name), Some(node)) = (
            pod.metadata.name.clone(),
            pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        ) else {
            continue;
        };
        if pod.metadata.deletion_timestamp.is_none() && running_and_ready(&pod) {
            by_node.entry(node).or_insert(name);
        }
    }
    Ok(by_node)
}

fn running_and_ready(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// The API path of a serve pod's `/report`, through the pod proxy.
pub fn report_path(namespace: &str, pod: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/pods/{pod}:{PORT}/proxy/report")
}

/// One node's latest report from its serve pod. One attempt, counted: the
/// fallback (an agent pod) is the retry, and a 503 "first scan pending"
/// would not change within a backoff.
pub async fn read_report(
    client: &Client,
    namespace: &str,
    pod: &str,
    node: &str,
    calls: &Calls,
) -> Result<NodeReport, ProxyError> {
    let path = report_path(namespace, pod);
    calls.note(Verb::Get, Some(node));
    let request = hyper::http::Request::get(&path)
        .body(Vec::new())
        .map_err(|e| ProxyError::NotAReport {
            path: path.clone(),
            why: e.to_string(),
        })?;
    let text = match tokio::time::timeout(READ_TIMEOUT, client.request_text(request)).await {
        Err(_) => {
            return Err(ProxyError::Timeout {
                path,
                timeout: READ_TIMEOUT,
            });
        }
        Ok(Err(source)) => return Err(ProxyError::Request { path, source }),
        Ok(Ok(text)) => text,
    };
    parse(&text, node).map_err(|why| ProxyError::NotAReport { path, why })
}

/// The body as a NodeReport, named after the Kubernetes node it came from
/// (serve names itself after the host, which may differ).
fn parse(text: &str, node: &str) -> Result<NodeReport, String> {
    if text.len() > MAX_REPORT {
        return Err(format!("{} bytes, over {MAX_REPORT}", text.len()));
    }
    let mut report: NodeReport = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if report.kind != "NodeReport" {
        return Err(format!("kind {:?}", report.kind));
    }
    report.node = node.to_string();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kube's own message repeats its cause; the joined line says it once.
    #[test]
    fn a_failed_request_names_the_path_and_says_the_cause_once() {
        let refused = std::io::Error::from_raw_os_error(libc::ECONNREFUSED);
        let e = ProxyError::Request {
            path: "/api/v1/namespaces/imgdup/pods/p:9847/proxy/report".into(),
            source: kube::Error::Service(Box::new(refused)),
        };
        let line = crate::model::causes::joined(&e);
        assert_eq!(line.matches("Connection refused").count(), 1, "{line}");
        assert_eq!(
            line,
            "GET /api/v1/namespaces/imgdup/pods/p:9847/proxy/report: ServiceError: Connection refused (os error 111)"
        );
    }

    #[test]
    fn the_proxy_path_is_the_contracts() {
        assert_eq!(
            report_path("imgdup", "imgdup-serve-x7k2p"),
            "/api/v1/namespaces/imgdup/pods/imgdup-serve-x7k2p:9847/proxy/report"
        );
    }

    #[test]
    fn a_body_is_a_node_report_or_a_named_refusal() {
        let doc = serde_json::to_string(&NodeReport::new("host-a".into(), None)).unwrap();
        assert_eq!(parse(&doc, "node-a").unwrap().node, "node-a");
        assert!(parse("first scan pending", "n").is_err());
        let other = doc.replace("\"NodeReport\"", "\"Chain\"");
        assert_eq!(parse(&other, "n").unwrap_err(), "kind \"Chain\"");
    }
}
