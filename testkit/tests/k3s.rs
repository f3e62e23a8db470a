//! The k3s stand-in: a long-lived process with a k3s-shaped command line.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_k3s");

#[test]
fn lives_until_sigterm_with_any_flags() {
    let mut child = Command::new(BIN)
        .args([
            "agent",
            "--docker",
            "--data-dir",
            "/var/lib/rancher/k3s",
            "--some-future-flag=1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start k3s stand-in");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().expect("poll").is_none(), "exited early");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).expect("cmdline");
    assert!(cmdline.starts_with(BIN.as_bytes()) && cmdline.ends_with(b"--some-future-flag=1\0"));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill(1)");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("k3s stand-in ignored SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn refuses_bundled_tools() {
    for tool in ["crictl", "ctr"] {
        let out = Command::new(BIN)
            .args([tool, "images"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("subcommand {tool} is not implemented")),
            "{stderr}"
        );
    }
}
