//! Docker's `daemon.json`, containerd's `config.toml`, k3s's `config.yaml`
//! ([`crate::host::daemon_config`]), and the bounded [`read`] in front of them.

use std::path::Path;

use proptest::prelude::*;
use serde_json::json;

use super::{bytes, host_path, texty};
use crate::host::daemon_config::{
    ConfigError, ContainerdGrpc, ContainerdToml, CriPlugins, DaemonJson, K3sConfig, SandboxV2, read,
};
use crate::host::root::HostRoot;

const FILE: &str = "/etc/docker/daemon.json";

/// Errors must be `Parse` naming the file, never a panic or another path.
fn names_the_file<T>(result: Result<T, ConfigError>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
        prop_assert!(e.to_string().starts_with(FILE), "{e}");
    }
    Ok(())
}

fn daemon_json() -> impl Strategy<Value = DaemonJson> {
    (
        prop::option::of(host_path()),
        prop::option::of(host_path()),
        prop::option::of(host_path()),
        prop::option::of("[a-z.]{1,10}"),
        prop::collection::vec(host_path().prop_map(|p| format!("unix://{p}")), 0..3),
        prop::collection::btree_map("[a-z-]{1,20}", any::<bool>(), 0..3),
    )
        .prop_map(
            |(data_root, graph, containerd, ns, hosts, features)| DaemonJson {
                data_root,
                graph,
                containerd,
                containerd_namespace: ns,
                hosts,
                features,
            },
        )
}

/// Renders a daemon.json the way an operator writes one, with keys we ignore.
fn render_json(d: &DaemonJson) -> Vec<u8> {
    let mut doc = json!({"log-driver": "json-file", "hosts": d.hosts, "features": d.features});
    for (key, value) in [
        ("data-root", &d.data_root),
        ("graph", &d.graph),
        ("containerd", &d.containerd),
        ("containerd-namespace", &d.containerd_namespace),
    ] {
        if let Some(v) = value {
            doc[key] = json!(v);
        }
    }
    serde_json::to_vec(&doc).unwrap()
}

/// A TOML basic string holding any text.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn containerd_toml() -> impl Strategy<Value = ContainerdToml> {
    let text = "[ -~]{0,30}";
    (
        prop::option::of(any::<i64>()),
        prop::option::of(text),
        prop::option::of(text),
        prop::option::of(text),
        prop::collection::vec(text, 0..3),
        prop::option::of(text),
    )
        .prop_map(
            |(version, root, state, address, disabled_plugins, sandbox_image)| ContainerdToml {
                version,
                root,
                state,
                grpc: ContainerdGrpc { address },
                disabled_plugins,
                plugins: CriPlugins {
                    cri: SandboxV2 { sandbox_image },
                    ..Default::default()
                },
            },
        )
}

fn render_toml(c: &ContainerdToml) -> String {
    let mut out = String::new();
    if let Some(v) = c.version {
        out.push_str(&format!("version = {v}\n"));
    }
    for (key, value) in [("root", &c.root), ("state", &c.state)] {
        if let Some(v) = value {
            out.push_str(&format!("{key} = {}\n", toml_string(v)));
        }
    }
    let plugins: Vec<String> = c.disabled_plugins.iter().map(|p| toml_string(p)).collect();
    out.push_str(&format!("disabled_plugins = [{}]\n", plugins.join(", ")));
    out.push_str("[grpc]\n  max_recv_message_size = 16777216\n");
    if let Some(a) = &c.grpc.address {
        out.push_str(&format!("  address = {}\n", toml_string(a)));
    }
    out.push_str("[plugins.\"io.containerd.grpc.v1.cri\"]\n  enable_selinux = false\n");
    if let Some(image) = &c.plugins.cri.sandbox_image {
        out.push_str(&format!("  sandbox_image = {}\n", toml_string(image)));
    }
    out
}

fn k3s_config() -> impl Strategy<Value = K3sConfig> {
    let url = || host_path().prop_map(|p| format!("unix://{p}"));
    (
        prop::option::of(any::<bool>()),
        prop::option::of(url()),
        prop::option::of(url()),
        prop::option::of(host_path()),
    )
        .prop_map(|(docker, cre, ise, data_dir)| K3sConfig {
            docker,
            container_runtime_endpoint: cre,
            image_service_endpoint: ise,
            data_dir,
        })
}

fn render_k3s(k: &K3sConfig) -> String {
    let mut out = String::from("node-label:\n  - a=b\nwrite-kubeconfig-mode: \"0644\"\n");
    if let Some(d) = k.docker {
        out.push_str(&format!("docker: {d}\n"));
    }
    for (key, value) in [
        ("container-runtime-endpoint", &k.container_runtime_endpoint),
        ("image-service-endpoint", &k.image_service_endpoint),
        ("data-dir", &k.data_dir),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{key}: {v}\n"));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn daemon_json_noise_is_an_error_naming_the_file(input in bytes(256), text in texty(256)) {
        names_the_file(DaemonJson::parse(&input, Path::new(FILE)))?;
        names_the_file(DaemonJson::parse(&text, Path::new(FILE)))?;
    }

    #[test]
    fn daemon_json_reads_back(d in daemon_json()) {
        prop_assert_eq!(DaemonJson::parse(&render_json(&d), Path::new(FILE)).unwrap(), d);
    }

    #[test]
    fn a_truncated_daemon_json_is_an_error(d in daemon_json(), at in any::<prop::sample::Index>()) {
        let full = render_json(&d);
        let cut = &full[..at.index(full.len())]; // a strict prefix
        prop_assert!(DaemonJson::parse(cut, Path::new(FILE)).is_err());
    }

    #[test]
    fn config_toml_noise_is_an_error_naming_the_file(input in bytes(256), text in texty(256)) {
        names_the_file(ContainerdToml::parse(&input, Path::new(FILE)))?;
        names_the_file(ContainerdToml::parse(&text, Path::new(FILE)))?;
    }

    #[test]
    fn config_toml_reads_back(c in containerd_toml()) {
        let text = render_toml(&c);
        prop_assert_eq!(ContainerdToml::parse(text.as_bytes(), Path::new(FILE)).unwrap(), c);
    }

    #[test]
    fn a_truncated_config_toml_never_panics(c in containerd_toml(), at in any::<prop::sample::Index>()) {
        let text = render_toml(&c);
        let cut = &text.as_bytes()[..at.index(text.len())];
        names_the_file(ContainerdToml::parse(cut, Path::new(FILE)))?;
    }

    #[test]
    fn k3s_config_noise_is_an_error_naming_the_file(input in bytes(256), text in texty(256)) {
        names_the_file(K3sConfig::parse(&input, Path::new(FILE)))?;
        names_the_file(K3sConfig::parse(&text, Path::new(FILE)))?;
    }

    #[test]
    fn k3s_config_reads_back(k in k3s_config()) {
        let text = render_k3s(&k);
        prop_assert_eq!(K3sConfig::parse(text.as_bytes(), Path::new(FILE)).unwrap(), k);
    }

    #[test]
    fn a_truncated_k3s_config_never_panics(k in k3s_config(), at in any::<prop::sample::Index>()) {
        let text = render_k3s(&k);
        let cut = &text.as_bytes()[..at.index(text.len())];
        names_the_file(K3sConfig::parse(cut, Path::new(FILE)))?;
    }
}

#[test]
fn deep_nesting_is_an_error_in_every_format() {
    let open = "[".repeat(100_000);
    let close = "]".repeat(100_000);
    let path = Path::new(FILE);
    assert!(DaemonJson::parse(format!("{{\"hosts\": {open}{close}}}").as_bytes(), path).is_err());
    assert!(ContainerdToml::parse(format!("root = {open}{close}\n").as_bytes(), path).is_err());
    assert!(K3sConfig::parse(format!("data-dir: {open}{close}\n").as_bytes(), path).is_err());
}

#[test]
fn files_too_large_for_a_config_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("etc/docker/daemon.json");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    // Sparse, so the test costs no disk; a valid prefix proves it is never parsed.
    std::fs::write(&local, br#"{"data-root":"/d"}"#).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&local)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let e = read(
        &HostRoot::new(dir.path()),
        Path::new(FILE),
        DaemonJson::parse,
    )
    .unwrap_err();
    // The cause is the error's source: the joined line, as warnings hold it.
    let text = crate::model::causes::joined(&e);
    assert!(
        text.starts_with("cannot read /etc/docker/daemon.json") && text.contains("larger than"),
        "{text}"
    );
    // A FIFO would block a plain read forever.
    std::fs::remove_file(&local).unwrap();
    testkit::bad_socket::fifo(&local);
    let e = read(
        &HostRoot::new(dir.path()),
        Path::new(FILE),
        DaemonJson::parse,
    )
    .unwrap_err();
    let text = crate::model::causes::joined(&e);
    assert!(text.contains("a FIFO"), "{text}");
}
