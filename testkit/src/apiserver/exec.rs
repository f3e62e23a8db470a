//! `pods/exec`: a command run in a live container's sandbox, streamed over
//! a websocket as the API server and kubelet do it
//! (k8s.io/apimachinery `util/httpstream/wsstream`, kubelet
//! `cri/streaming/remotecommand`).
//!
//! `GET|POST /api/v1/namespaces/NS/pods/NAME/exec?command=..&command=..
//! &container=C&stdin=true&stdout=true&stderr=true`, upgraded to a
//! websocket with subprotocol `v5.channel.k8s.io` or `v4.channel.k8s.io`
//! (the client's first choice among them). Every binary message starts
//! with its channel: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize. The
//! server first sends an empty message on the lowest output channel, then
//! the output, then one `Status` on channel 3 (`Success`, or `Failure` with
//! reason `NonZeroExitCode` and a cause `ExitCode`), then closes. v5 adds
//! `[255, channel]`: the client closed that channel (stdin EOF).
//!
//! The command joins the container's namespaces (`nsenter --all` on its
//! pid 1) and goes through `imgdup-sim-exec` with the container's root,
//! user, capabilities and environment, so it sees exactly what the
//! container sees. SPDY is not spoken: kubectl ≥ 1.31 uses websockets.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use k8s_openapi::api::core::v1::Pod;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::Sim;
use super::kubelet::process::{children, container_init};
use super::kubelet::sandbox::Sandbox;
use super::kubelet::status::phase;
use super::status::{ApiError, ApiResult};
use super::store::Kind;

mod stream;

/// The subprotocols served, newest first.
const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// What the client asked for.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub container: Option<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

fn truthy(v: &str) -> bool {
    matches!(v, "true" | "1" | "True" | "")
}

impl ExecOptions {
    pub fn parse(q: &[(String, String)]) -> Self {
        let mut o = ExecOptions::default();
        for (k, v) in q {
            match k.as_str() {
                "command" => o.command.push(v.clone()),
                "container" if !v.is_empty() => o.container = Some(v.clone()),
                "stdin" => o.stdin = truthy(v),
                "stdout" => o.stdout = truthy(v),
                "stderr" => o.stderr = truthy(v),
                "tty" => o.tty = truthy(v),
                _ => {}
            }
        }
        o
    }
}

/// The subprotocol to speak: the client's first one that we serve.
pub fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| PROTOCOLS.iter().find(|s| **s == p).copied())
}

/// The pod's container to exec in, checked as the API server does.
fn container_of(pod: &Pod, name: &str, want: Option<&str>) -> Result<String, ApiError> {
    let p = phase(pod);
    if p == "Succeeded" || p == "Failed" {
        return Err(ApiError::bad_request(format!(
            "cannot exec into a container in a completed pod; current phase is {p}"
        )));
    }
    let spec = pod.spec.clone().unwrap_or_default();
    if spec.node_name.as_deref().unwrap_or_default().is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    match want {
        Some(c) if names.iter().any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {name}"
        ))),
        None if names.len() == 1 => Ok(names[0].clone()),
        None => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            names.join(" ")
        ))),
    }
}

/// The process whose namespaces an exec joins: the container's pid 1, or
/// (hostPID, no pid namespace) the deepest process under the sandbox. A
/// container reported Running may still be setting up its sandbox: wait
/// for it a little, as the runtime would have.
async fn target(top: u32, host_pid: bool) -> Option<u32> {
    for _ in 0..100 {
        if host_pid {
            let mut p = top;
            while let Some(c) = children(p).first() {
                p = *c;
            }
            let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
            // Past the sandbox script, its mounts and the helper.
            if p != top && !matches!(comm.trim(), "sh" | "unshare" | "mount" | "imgdup-sim-exec") {
                return Some(p);
            }
        } else if let Some(init) = container_init(top) {
            return Some(init);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// The exec'd process: into the container's namespaces, then its root.
pub fn command(
    sb: &Sandbox,
    init: u32,
    argv: &[String],
    status: &std::path::Path,
) -> tokio::process::Command {
    let e = &sb.exec;
    let mut cmd = tokio::process::Command::new("setpriv");
    cmd.args([
        "--pdeathsig",
        "KILL",
        "nsenter",
        "-t",
        &init.to_string(),
        "--all",
        "--",
    ]);
    cmd.arg(&sb.helper)
        .arg("--root")
        .arg(sb.root())
        .arg("--status")
        .arg(status);
    if let Some(u) = e.uid {
        cmd.arg("--uid").arg(u.to_string());
    }
    if let Some(g) = e.gid {
        cmd.arg("--gid").arg(g.to_string());
    }
    let caps = if e.caps.is_empty() {
        "none".to_string()
    } else {
        e.caps.join(",")
    };
    cmd.arg("--caps").arg(caps);
    if e.no_new_privs {
        cmd.arg("--no-new-privs");
    }
    if let Some(w) = &e.workdir {
        cmd.arg("--workdir").arg(w);
    }
    for (k, v) in &e.env {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    cmd.arg("--").args(argv);
    cmd.env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .kill_on_drop(true);
    cmd
}

async fn exec(
    State(sim): State<Arc<Sim>>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
    mut req: Request,
) -> ApiResult {
    let opts = ExecOptions::parse(&q);
    let pod: Pod = sim
        .store
        .get_typed(Kind::Pod, &(ns.clone(), name.clone()))
        .ok_or_else(|| ApiError::not_found("pods", &name))?;
    let container = container_of(&pod, &name, opts.container.as_deref())?;
    if opts.command.is_empty() {
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    if !(opts.stdin || opts.stdout || opts.stderr) {
        return Err(ApiError::bad_request(
            "you must specify at least 1 of stdin, stdout, stderr",
        ));
    }
    let label = format!("{ns}/{name}/{container}");
    let running = match sim.kubelet.procs.find(&label) {
        Some((top, sb)) => target(top, sb.host_pid).await.map(|init| (sb, init)),
        None => None,
    };
    let Some((sandbox, init)) = running else {
        return Err(ApiError::new(
            404,
            "NotFound",
            format!("container not found (\"{container}\")"),
        ));
    };
    let headers = req.headers();
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::bad_request(format!(
            "Upgrade request required: the simulated API server streams exec over websockets ({}), not {:?}",
            PROTOCOLS.join(", "),
            upgrade
        )));
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| ApiError::bad_request("missing Sec-WebSocket-Key"))?
        .as_bytes()
        .to_vec();
    let protocol = negotiate(headers).ok_or_else(|| {
        ApiError::bad_request(format!(
            "none of the requested subprotocols is served; want one of {}",
            PROTOCOLS.join(", ")
        ))
    })?;
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(stream::serve(on_upgrade, protocol, sandbox, init, opts));
    let mut resp = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = resp.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol),
    );
    let accept = HeaderValue::from_str(&derive_accept_key(&key))
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    h.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    Ok(resp)
}

/// The command as the kubelet's messages show it (`[sh -c exit 3]`).
pub fn shown(argv: &[String]) -> String {
    format!("[{}]", argv.join(" "))
}

pub fn routes() -> Router<Arc<Sim>> {
    Router::new().route(
        "/api/v1/namespaces/{ns}/pods/{name}/exec",
        get(exec).post(exec),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_protocol() {
        let q: Vec<(String, String)> = [
            ("command", "sh"),
            ("command", "-c"),
            ("command", "exit 3"),
            ("stdin", "true"),
            ("stdout", "true"),
            ("stderr", "false"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let o = ExecOptions::parse(&q);
        assert_eq!(o.command, ["sh", "-c", "exit 3"]);
        assert!(o.stdin && o.stdout && !o.stderr);
        let mut h = HeaderMap::new();
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io"),
        );
        assert_eq!(negotiate(&h), Some("v5.channel.k8s.io"));
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("v4.channel.k8s.io,v5.channel.k8s.io"),
        );
        assert_eq!(negotiate(&h), Some("v4.channel.k8s.io"));
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("base64.channel.k8s.io"),
        );
        assert_eq!(negotiate(&h), None);
    }
}
