//! `kubectl exec` (real kubectl 1.32, websocket v5) against the simulated
//! API server: output, stdin with EOF, exit codes, start errors, and the
//! container's own view (hostname, read-only root, hostPath, emptyDir).

mod apiserver_support;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use apiserver_support::{Cluster, pod};
use serde_json::json;

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn cluster(root: &std::path::Path) -> Cluster {
    Cluster::start(
        serde_yaml::from_str(&format!(
            "nodes:\n  - {{name: dir-1, dir: {}}}\n  - {{name: fake-1, fake: {{seconds: 30}}}}\n",
            root.display()
        ))
        .unwrap(),
    )
}

/// A busybox pod that waits, with a read-only root, a read-only hostPath
/// and an emptyDir.
fn start_sleeper(c: &Cluster, root: &std::path::Path) {
    std::fs::create_dir_all(root.join("srv")).unwrap();
    std::fs::write(root.join("srv/motd"), "from the node\n").unwrap();
    c.create_ok(&pod(
        "sleeper",
        "dir-1",
        "busybox",
        &["sh", "-c", "sleep 600"],
        json!({
            "containers": [{"name": "main", "image": "busybox", "command": ["sh", "-c", "sleep 600"],
                "securityContext": {"readOnlyRootFilesystem": true},
                "volumeMounts": [{"name": "srv", "mountPath": "/srv", "readOnly": true},
                                 {"name": "scratch", "mountPath": "/scratch"}]}],
            "volumes": [{"name": "srv", "hostPath": {"path": "/srv", "type": "Directory"}},
                        {"name": "scratch", "emptyDir": {}}],
        }),
    ));
    c.wait_phase("default", "sleeper", "Running", Duration::from_secs(20));
}

#[test]
fn kubectl_exec_output_stdin_and_exit_codes() {
    let root = tempfile::tempdir().unwrap();
    let c = cluster(root.path());
    start_sleeper(&c, root.path());

    assert_eq!(
        c.kubectl_ok(&["exec", "sleeper", "--", "echo", "hi"]),
        "hi\n"
    );

    // stdin reaches the command and its EOF ends `cat` (v5 close frame).
    let mut child = c
        .kubectl_cmd(&["exec", "-i", "sleeper", "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"data\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "data\n");

    // A non-zero exit code comes back as kubectl's own exit code.
    let out = c.kubectl(&[
        "exec",
        "sleeper",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "out\n");
    assert!(stderr_of(&out).contains("err\n"), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("command terminated with exit code 3"),
        "{}",
        stderr_of(&out)
    );

    // A command the image does not have: the runtime's start error.
    let out = c.kubectl(&["exec", "sleeper", "--", "no-such-tool"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("exec: \"no-such-tool\": executable file not found in $PATH"),
        "{}",
        stderr_of(&out)
    );
    c.finish(&[]);
}

#[test]
fn exec_runs_in_the_containers_sandbox() {
    let root = tempfile::tempdir().unwrap();
    let c = cluster(root.path());
    start_sleeper(&c, root.path());
    let script = "hostname; cat /srv/motd; \
        touch /root-file 2>/dev/null && echo root-writable || echo root-read-only; \
        touch /srv/x 2>/dev/null && echo srv-writable || echo srv-read-only; \
        echo kept > /scratch/f && cat /scratch/f; \
        tr '\\0' ' ' < /proc/1/cmdline; echo";
    let out = c.kubectl_ok(&["exec", "sleeper", "--", "sh", "-c", script]);
    assert_eq!(
        out, "sleeper\nfrom the node\nroot-read-only\nsrv-read-only\nkept\nsleep 600 \n",
        "the exec sees the container's hostname, mounts and pid 1"
    );
    // The emptyDir is the container's: a second exec sees the file.
    assert_eq!(
        c.kubectl_ok(&["exec", "sleeper", "--", "cat", "/scratch/f"]),
        "kept\n"
    );
    assert!(!root.path().join("srv/x").exists());

    // Pods that cannot be exec'd into, with the API server's messages.
    let out = c.kubectl(&["exec", "nope", "--", "true"]);
    assert!(
        stderr_of(&out).contains("pods \"nope\" not found"),
        "{}",
        stderr_of(&out)
    );
    c.create_ok(&pod("done", "dir-1", "busybox", &["true"], json!({})));
    c.wait_phase("default", "done", "Succeeded", Duration::from_secs(20));
    let out = c.kubectl(&["exec", "done", "--", "true"]);
    assert!(
        stderr_of(&out).contains("cannot exec into a container in a completed pod"),
        "{}",
        stderr_of(&out)
    );
    c.create_ok(&pod(
        "fake",
        "fake-1",
        "busybox",
        &["sleep", "30"],
        json!({}),
    ));
    c.wait_phase("default", "fake", "Running", Duration::from_secs(20));
    let out = c.kubectl(&["exec", "fake", "--", "true"]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("container not found (\"main\")"),
        "{}",
        stderr_of(&out)
    );
    c.finish(&[]);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The v4 protocol by hand (kubectl 1.32 only offers v5): the opening
/// empty frame, stdin in, stdout and stderr out on their channels, and the
/// exit status on channel 3, in that order.
#[test]
fn the_v4_channel_protocol_frame_by_frame() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let root = tempfile::tempdir().unwrap();
    let c = cluster(root.path());
    start_sleeper(&c, root.path());
    let script = "head -c 3; echo; echo err >&2; exit 2";
    let url = format!(
        "{}/api/v1/namespaces/default/pods/sleeper/exec?command=sh&command=-c&command={}&stdin=true&stdout=true&stderr=true",
        c.url.replace("http://", "ws://"),
        urlencode(script)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (protocol, frames) = rt.block_on(async {
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "v4.channel.k8s.io, channel.k8s.io".parse().unwrap(),
        );
        let connect = tokio_tungstenite::connect_async(req);
        let (mut ws, resp) = tokio::time::timeout(Duration::from_secs(10), connect)
            .await
            .expect("the upgrade answers in time")
            .expect("the upgrade succeeds");
        let protocol = resp.headers()["sec-websocket-protocol"]
            .to_str()
            .unwrap()
            .to_string();
        ws.send(Message::binary(b"\x00abcdef".to_vec()))
            .await
            .unwrap();
        let mut frames: Vec<Vec<u8>> = Vec::new();
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await
        {
            match msg {
                Message::Binary(b) => frames.push(b.to_vec()),
                Message::Close(_) => break,
                _ => {}
            }
        }
        (protocol, frames)
    });
    assert_eq!(protocol, "v4.channel.k8s.io");
    assert_eq!(
        frames.first().map(Vec::as_slice),
        Some(&[1u8][..]),
        "the opening frame"
    );
    let channel = |ch: u8| -> String {
        frames
            .iter()
            .filter(|f| f.len() > 1 && f[0] == ch)
            .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
            .collect()
    };
    assert_eq!(channel(1), "abc\n");
    assert_eq!(channel(2), "err\n");
    let last = frames.last().unwrap();
    assert_eq!(last[0], 3, "the status comes last");
    let status: serde_json::Value = serde_json::from_slice(&last[1..]).unwrap();
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "NonZeroExitCode");
    assert_eq!(
        status["details"]["causes"][0],
        json!({"reason": "ExitCode", "message": "2"})
    );
    c.finish(&[]);
}
