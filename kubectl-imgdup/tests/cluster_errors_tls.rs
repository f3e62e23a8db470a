//! TLS failures against a real TLS server (`openssl s_server`) with
//! certificates made by the real `openssl`: a certificate from another CA,
//! and an expired one. Each is one line naming the server, the context,
//! the x509 cause as kubectl words it, and what to check.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster_errors::{closed_port, every_command_says, kubeconfig};
use crate::util::*;

/// A CA and, signed by it, a certificate for 127.0.0.1 valid `days` (-1: expired).
fn openssl_certs(dir: &Path, ca_name: &str, days: i32) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert_exit(&out, 0);
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            &format!("/CN={ca_name}"),
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    std::fs::write(dir.join("ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    let days = days.to_string();
    run(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        &days,
        "-extfile",
        "ext",
    ]);
    (dir.join("ca.pem"), dir.join("srv.pem"), dir.join("srv.key"))
}

/// A real TLS server (`openssl s_server`) presenting `cert`; killed on drop.
struct TlsServer(Child, String);

impl TlsServer {
    fn start(cert: &Path, key: &Path) -> Self {
        let port = closed_port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "openssl s_server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self(child, format!("https://127.0.0.1:{port}"))
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ca_file(pem: &Path) -> String {
    format!(", certificate-authority: '{}'", pem.display())
}

#[test]
fn a_certificate_from_another_ca_is_an_unknown_authority() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = openssl_certs(dir.path(), "imgdup-test-ca", 1);
    let tls = TlsServer::start(&cert, &key);
    // Another CA by another name (UnknownIssuer), and one by the same name
    // whose signature does not match (BadSignature).
    for name in ["another-ca", "imgdup-test-ca"] {
        let other = tempfile::tempdir().unwrap();
        let (other_ca, _, _) = openssl_certs(other.path(), name, 1);
        let kc = kubeconfig(other.path(), &tls.1, &ca_file(&other_ca), "{token: t}");
        every_command_says(
            &kc,
            &[
                &tls.1,
                "context \"ctx\"",
                "certificate signed by unknown authority",
                "certificate-authority",
            ],
            Duration::from_secs(5),
        );
    }
}

#[test]
fn an_expired_server_certificate_says_so_and_when() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = openssl_certs(dir.path(), "imgdup-test-ca", -1);
    let tls = TlsServer::start(&cert, &key);
    let kc = kubeconfig(dir.path(), &tls.1, &ca_file(&ca), "{token: t}");
    every_command_says(
        &kc,
        &[
            &tls.1,
            "context \"ctx\"",
            "certificate has expired",
            "renew the API server's certificate",
        ],
        Duration::from_secs(5),
    );
}
