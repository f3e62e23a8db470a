//! The config files that decide where a runtime listens and stores: Docker's
//! `daemon.json`, containerd's `config.toml` and k3s's `config.yaml`.
//!
//! Only the keys that move a socket or a root are read; everything else is
//! ignored, so a config with keys we don't know still parses.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::host::capped_read::{MAX_CONFIG, read_capped};
use crate::host::root::{HostRoot, is_loop};

/// The read error is only in `source`: [`crate::model::causes::joined`] makes the
/// warning line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not valid {format}: {reason}. The daemon itself would refuse it too; fix the file"
    )]
    Parse {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
}

/// `/etc/docker/daemon.json` (moby `daemon/config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DaemonJson {
    pub data_root: Option<String>,
    /// The deprecated spelling of `data-root`.
    pub graph: Option<String>,
    pub containerd: Option<String>,
    pub containerd_namespace: Option<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub features: std::collections::BTreeMap<String, bool>,
}

impl DaemonJson {
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, ConfigError> {
        serde_json::from_slice(bytes).map_err(|e| parse_error(path, "JSON", e))
    }

    pub fn data_root(&self) -> Option<&str> {
        self.data_root.as_deref().or(self.graph.as_deref())
    }

    /// `features."containerd-snapshotter"`: forces the image store choice.
    pub fn containerd_snapshotter(&self) -> Option<bool> {
        self.features.get("containerd-snapshotter").copied()
    }
}

/// containerd's `config.toml`, the keys that place it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContainerdToml {
    pub version: Option<i64>,
    pub root: Option<String>,
    pub state: Option<String>,
    #[serde(default)]
    pub grpc: ContainerdGrpc,
    #[serde(default)]
    pub disabled_plugins: Vec<String>,
    /// Read only for the sandbox image (see [`Self::sandbox_image`]).
    #[serde(default)]
    pub plugins: CriPlugins,
}

/// The CRI plugins' sections that name the sandbox image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CriPlugins {
    #[serde(rename = "io.containerd.grpc.v1.cri", default)]
    pub cri: SandboxV2,
    #[serde(rename = "io.containerd.cri.v1.images", default)]
    pub images: ImagesV3,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SandboxV2 {
    pub sandbox_image: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImagesV3 {
    #[serde(default)]
    pub pinned_images: PinnedImages,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PinnedImages {
    pub sandbox: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContainerdGrpc {
    pub address: Option<String>,
}

impl ContainerdToml {
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, ConfigError> {
        let text = std::str::from_utf8(bytes).map_err(|e| parse_error(path, "TOML", e))?;
        toml::from_str(text).map_err(|e| parse_error(path, "TOML", e))
    }

    /// The pod sandbox (pause) image the CRI plugin is configured with:
    /// `sandbox_image` (config version 2) or `pinned_images.sandbox` of the
    /// images plugin (version 3, containerd 2.x).
    pub fn sandbox_image(&self) -> Option<&str> {
        let v2 = self.plugins.cri.sandbox_image.as_deref();
        v2.or(self.plugins.images.pinned_images.sandbox.as_deref())
    }
}

/// `/etc/rancher/k3s/config.yaml`: keys are flag names without `--`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct K3sConfig {
    pub docker: Option<bool>,
    pub container_runtime_endpoint: Option<String>,
    pub image_service_endpoint: Option<String>,
    pub data_dir: Option<String>,
}

impl K3sConfig {
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, ConfigError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        crate::host::yaml_depth::check(bytes).map_err(|e| parse_error(path, "YAML", e))?;
        serde_yaml::from_slice::<Option<Self>>(bytes)
            .map(Option::unwrap_or_default)
            .map_err(|e| parse_error(path, "YAML", e))
    }
}

fn parse_error(path: &Path, format: &'static str, e: impl std::fmt::Display) -> ConfigError {
    ConfigError::Parse {
        path: path.to_path_buf(),
        format,
        reason: e.to_string(),
    }
}

/// Reads and parses a host config file; a missing file is `Ok(None)`, a
/// symlink loop or a file too large for a config is an error naming it.
pub fn read<T>(
    host: &HostRoot,
    path: &Path,
    parse: fn(&[u8], &Path) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    let error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    if is_loop(&host.canonical(path)) {
        return Err(error(std::io::Error::other(
            "too many levels of symbolic links (a loop); fix or remove the link",
        )));
    }
    match read_capped(&host.local(path), MAX_CONFIG) {
        Ok(bytes) => parse(&bytes, path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(error(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_config_names_the_file_and_says_the_cause_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/docker/daemon.json")).unwrap();
        let host = HostRoot::new(dir.path());
        let path = Path::new("/etc/docker/daemon.json");
        let e = read(&host, path, DaemonJson::parse).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e:?}");
        let printed = crate::model::causes::printed_once(e, "not a regular file");
        assert_eq!(
            printed,
            "cannot read /etc/docker/daemon.json: not a regular file (a directory); not read"
        );
    }

    fn p() -> &'static Path {
        Path::new("/etc/x")
    }

    #[test]
    fn daemon_json_keys_that_move_docker() {
        let d = DaemonJson::parse(br#"{"data-root":"/data/docker","containerd":"/run/c.sock","hosts":["unix:///x.sock"],"features":{"containerd-snapshotter":true},"log-driver":"json-file"}"#, p()).unwrap();
        assert_eq!(d.data_root(), Some("/data/docker"));
        assert_eq!(d.containerd.as_deref(), Some("/run/c.sock"));
        assert_eq!(d.hosts, vec!["unix:///x.sock"]);
        assert_eq!(d.containerd_snapshotter(), Some(true));
        assert_eq!(
            DaemonJson::parse(br#"{"graph":"/old"}"#, p())
                .unwrap()
                .data_root(),
            Some("/old")
        );
    }

    #[test]
    fn daemon_json_errors_name_the_file() {
        let e = DaemonJson::parse(b"{\"data-root\": 5}", p()).unwrap_err();
        assert!(e.to_string().starts_with("/etc/x is not valid JSON"), "{e}");
        assert!(DaemonJson::parse(b"", p()).is_err());
        assert!(DaemonJson::parse(&[0xff, 0x00], p()).is_err());
    }

    #[test]
    fn containerd_toml_root_state_address() {
        let v3 = ContainerdToml::parse(b"version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\nsandbox = \"p:3\"\n", p()).unwrap();
        assert_eq!(v3.sandbox_image(), Some("p:3"));
        let c = ContainerdToml::parse(b"version = 2\nroot = \"/r\"\nstate = \"/s\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\naddress = \"/s/c.sock\"\n[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"x\"\n", p()).unwrap();
        assert_eq!(
            (
                c.root.as_deref(),
                c.state.as_deref(),
                c.grpc.address.as_deref()
            ),
            (Some("/r"), Some("/s"), Some("/s/c.sock"))
        );
        assert_eq!(
            ContainerdToml::parse(b"", p()).unwrap(),
            ContainerdToml::default()
        );
        assert!(ContainerdToml::parse(b"root = ", p()).is_err());
        assert!(ContainerdToml::parse(&[0xc3, 0x28], p()).is_err());
    }

    #[test]
    fn k3s_config_yaml() {
        let k = K3sConfig::parse(b"docker: true\ncontainer-runtime-endpoint: unix:///run/x.sock\ndata-dir: /opt/k3s\nnode-label: [a=b]\n", p()).unwrap();
        assert_eq!(k.docker, Some(true));
        assert_eq!(k.data_dir.as_deref(), Some("/opt/k3s"));
        assert_eq!(
            K3sConfig::parse(b"# empty\n", p()).unwrap(),
            K3sConfig::default()
        );
        assert!(K3sConfig::parse(b"docker: [\n", p()).is_err());
    }

    #[test]
    fn read_missing_is_none_and_reads_under_the_host_root() {
        let dir = tempfile::tempdir().unwrap();
        let host = HostRoot::new(dir.path());
        assert_eq!(
            read(
                &host,
                Path::new("/etc/docker/daemon.json"),
                DaemonJson::parse
            )
            .unwrap(),
            None
        );
        std::fs::create_dir_all(dir.path().join("etc/docker")).unwrap();
        std::fs::write(
            dir.path().join("etc/docker/daemon.json"),
            r#"{"data-root":"/d"}"#,
        )
        .unwrap();
        let d = read(
            &host,
            Path::new("/etc/docker/daemon.json"),
            DaemonJson::parse,
        )
        .unwrap()
        .unwrap();
        assert_eq!(d.data_root(), Some("/d"));
    }
}
