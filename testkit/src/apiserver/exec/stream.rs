//! The websocket half of an exec: the upgraded connection, the process,
//! and the frames between them, in the order the kubelet writes them.

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{ExecOptions, shown};
use crate::apiserver::kubelet::sandbox::Sandbox;
use crate::apiserver::objects::hex_id;

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
/// v5: `[255, channel]` closes that channel.
const CLOSE: u8 = 255;

/// Output still buffered after the process ended gets this long to arrive
/// (a background child may hold the pipe open forever).
const DRAIN: Duration = Duration::from_secs(2);

/// Copies one output pipe into frames of its channel.
fn pump(
    reader: Option<impl AsyncRead + Unpin + Send + 'static>,
    channel: u8,
    tx: mpsc::Sender<Vec<u8>>,
) -> Option<JoinHandle<()>> {
    let mut reader = reader?;
    Some(tokio::spawn(async move {
        let mut buf = vec![0u8; 32 << 10];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let mut frame = Vec::with_capacity(n + 1);
            frame.push(channel);
            frame.extend_from_slice(&buf[..n]);
            if tx.send(frame).await.is_err() {
                break;
            }
        }
    }))
}

/// The `Status` written on the error channel when the command ends.
pub fn exit_status(argv: &[String], code: i32, start_error: Option<&str>) -> Value {
    if let Some(e) = start_error {
        // imgdup-sim-exec words it as a container start; an exec says so.
        let what = e
            .split_once("unable to start container process: ")
            .map(|(_, w)| w)
            .unwrap_or(e);
        let cause = format!(
            "error executing command in container: failed to exec in container: failed to start exec \"{}\": OCI runtime exec failed: exec failed: unable to start container process: {what}",
            hex_id(64)
        );
        return json!({"metadata": {}, "status": "Failure", "message": format!("Internal error occurred: {cause}"),
            "reason": "InternalError", "details": {"causes": [{"message": cause}]}, "code": 500});
    }
    if code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    json!({"metadata": {}, "status": "Failure",
        "message": format!("command terminated with non-zero exit code: error executing command {}, exit code {code}", shown(argv)),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
}

fn exit_code(st: std::io::Result<std::process::ExitStatus>) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match st {
        Ok(s) => s.code().or(s.signal().map(|sig| 128 + sig)).unwrap_or(255),
        Err(_) => 255,
    }
}

fn pipe(on: bool) -> Stdio {
    if on { Stdio::piped() } else { Stdio::null() }
}

pub async fn serve(
    on_upgrade: OnUpgrade,
    protocol: &'static str,
    sb: Sandbox,
    init: u32,
    opts: ExecOptions,
) {
    let Ok(upgraded) = on_upgrade.await else {
        return;
    };
    let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
    let (mut sink, mut source) = ws.split();
    let v5 = protocol.starts_with("v5.");
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(16);
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if sink.send(Message::binary(frame)).await.is_err() {
                return;
            }
        }
        let close = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
    });
    // The lowest output channel announces the stream (kubelet remotecommand).
    let first = if opts.stdout {
        STDOUT
    } else if opts.stderr {
        STDERR
    } else {
        ERROR
    };
    let _ = tx.send(vec![first]).await;

    let status_file = sb.dir.join(format!("exec-{}.status", hex_id(12)));
    let status = match std::fs::write(&status_file, b"").map(|_| {
        let mut cmd = super::command(&sb, init, &opts.command, &status_file);
        cmd.stdin(pipe(opts.stdin))
            .stdout(pipe(opts.stdout))
            .stderr(pipe(opts.stderr));
        cmd.spawn()
    }) {
        Ok(Ok(mut child)) => {
            let pumps: Vec<JoinHandle<()>> = [
                pump(child.stdout.take(), STDOUT, tx.clone()),
                pump(child.stderr.take(), STDERR, tx.clone()),
            ]
            .into_iter()
            .flatten()
            .collect();
            let mut stdin = child.stdin.take();
            let input = tokio::spawn(async move {
                while let Some(Ok(msg)) = source.next().await {
                    let Message::Binary(b) = msg else {
                        if matches!(msg, Message::Close(_)) {
                            break;
                        }
                        continue;
                    };
                    match (b.first(), b.get(1)) {
                        (Some(&STDIN), _) => {
                            if let Some(s) = stdin.as_mut()
                                && s.write_all(&b[1..]).await.is_err()
                            {
                                stdin = None;
                            }
                        }
                        (Some(&CLOSE), Some(&STDIN)) if v5 => stdin = None,
                        // Resize (4) and anything else: nothing to do without a tty.
                        _ => {}
                    }
                }
                // The client is gone (or closed everything): stdin ends.
            });
            let code = exit_code(child.wait().await);
            for p in pumps {
                let abort = p.abort_handle();
                if tokio::time::timeout(DRAIN, p).await.is_err() {
                    abort.abort();
                }
            }
            input.abort();
            let start_error = std::fs::read_to_string(&status_file).unwrap_or_default();
            let start_error = start_error.trim();
            exit_status(
                &opts.command,
                code,
                (!start_error.is_empty()).then_some(start_error),
            )
        }
        Ok(Err(e)) | Err(e) => exit_status(&opts.command, 128, Some(&e.to_string())),
    };
    let _ = std::fs::remove_file(&status_file);
    let mut frame = vec![ERROR];
    frame.extend_from_slice(status.to_string().as_bytes());
    let _ = tx.send(frame).await;
    drop(tx);
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .is_err()
    {
        abort.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_kubelet() {
        let argv = ["sh", "-c", "exit 3"].map(String::from);
        assert_eq!(exit_status(&argv, 0, None)["status"], "Success");
        let f = exit_status(&argv, 3, None);
        assert_eq!(f["reason"], "NonZeroExitCode");
        assert_eq!(f["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(f["details"]["causes"][0]["message"], "3");
        assert!(f["message"].as_str().unwrap().contains("[sh -c exit 3]"));
        let e = exit_status(
            &argv,
            128,
            Some(
                "... unable to start container process: exec: \"nope\": executable file not found in $PATH: unknown",
            ),
        );
        assert_eq!(e["reason"], "InternalError");
        assert!(e["message"].as_str().unwrap().contains("exec: \"nope\""));
    }
}
