//! crictl's endpoint resolution, reproduced exactly.
//!
//! Sources, kubernetes-sigs/cri-tools @ ba03eab (2026-08):
//! - `cmd/crictl/main.go`: `--config/-c` (env `CRI_CONFIG_FILE`, default
//!   `/etc/crictl.yaml`), `-r` (env `CONTAINER_RUNTIME_ENDPOINT`), `-i` (env
//!   `IMAGE_SERVICE_ENDPOINT`), `-t` (default 2s). urfave/cli counts a flag as
//!   set when given *or* when its env var exists, even empty.
//! - `cmd/crictl/main.go` `app.Before`: a config-file error is fatal only when
//!   the config path was set explicitly; otherwise crictl silently runs
//!   without the file.
//! - `cmd/crictl/crictl_config.go` `newCrictlConfigFromFile`: flag/env beats a
//!   non-empty yaml value; `timeout` ≤ 0 means the default.
//!   `GetRuntimeService`: set-but-empty runtime endpoint is an error; unset
//!   means "probe `defaultRuntimeEndpoints` in order with a CRI `Version`".
//!   `GetImageService`: an empty image endpoint takes the runtime endpoint and
//!   its set-ness; unset means probing the defaults with `ImageFsInfo`.
//! - `pkg/common/config.go` `GetServerConfigFromFile`: a missing config file
//!   falls back to `<dir of the crictl binary>/crictl.yaml`.
//! - `pkg/common/file.go` `getConfigOptions`: only known keys are accepted.
//! - `cmd/crictl/main_unix.go`: `defaultRuntimeEndpoints`.
//! - kubernetes `pkg/kubelet/util/util_unix.go` `parseEndpoint`: only `unix`
//!   works on Linux; a bare path is read as `unix://` with a deprecation note.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::crictl_yaml::{self, CrictlYaml};
use crate::evidence::Source;
use crate::hostroot::{HostRoot, is_loop};
use crate::node_file::{MAX_CONFIG, read_capped};

pub const DEFAULT_CONFIG_PATH: &str = "/etc/crictl.yaml";
/// `defaultRuntimeEndpoints` in cri-tools `cmd/crictl/main_unix.go` (v1.30+).
pub const DEFAULT_RUNTIME_ENDPOINTS: [&str; 3] = [
    "unix:///run/containerd/containerd.sock",
    "unix:///run/crio/crio.sock",
    "unix:///var/run/cri-dockerd.sock",
];
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
pub const ENV_CONFIG: &str = "CRI_CONFIG_FILE";
pub const ENV_RUNTIME: &str = "CONTAINER_RUNTIME_ENDPOINT";
pub const ENV_IMAGE: &str = "IMAGE_SERVICE_ENDPOINT";

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "crictl config file {path}: {reason}. crictl would stop here too: fix the file, or unset {ENV_CONFIG} / drop --config"
    )]
    ConfigFile { path: PathBuf, reason: String },
    #[error(
        "the runtime endpoint is set but empty ({origin}): crictl fails with \"--runtime-endpoint is not set\"; set a URL such as unix:///run/containerd/containerd.sock"
    )]
    EmptyRuntimeEndpoint { origin: Source },
    #[error("endpoint {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
}

/// What the user handed crictl: flags as given on the command line, plus the
/// environment. `None` means "not given"; `Some("")` is given-but-empty.
#[derive(Debug, Clone, Default)]
pub struct CrictlInputs {
    pub runtime_flag: Option<String>,
    pub image_flag: Option<String>,
    pub config_flag: Option<PathBuf>,
    pub timeout_flag: Option<Duration>,
    /// Only `CRI_CONFIG_FILE`, `CONTAINER_RUNTIME_ENDPOINT` and `IMAGE_SERVICE_ENDPOINT` matter.
    pub env: HashMap<String, String>,
    /// Host directory of the `crictl` binary, for crictl's exe-dir fallback.
    pub crictl_dir: Option<PathBuf>,
}

/// Where `crictl` may live on a node; crictl falls back to `<its dir>/crictl.yaml`.
const CRICTL_DIRS: [&str; 6] = [
    "/usr/local/bin",
    "/usr/bin",
    "/bin",
    "/usr/local/sbin",
    "/opt/bin",
    "/var/lib/rancher/k3s/data/current/bin",
];

/// The host directory holding the `crictl` binary, if any.
pub fn find_crictl_dir(host: &HostRoot) -> Option<PathBuf> {
    CRICTL_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|d| host.local(d.join("crictl")).is_file())
}

impl CrictlInputs {
    /// Reads the three crictl variables from this process's environment.
    pub fn with_process_env(mut self) -> Self {
        for key in [ENV_CONFIG, ENV_RUNTIME, ENV_IMAGE] {
            if let Ok(v) = std::env::var(key) {
                self.env.insert(key.to_string(), v);
            }
        }
        self
    }
}

/// Which config file crictl reads, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileUse {
    /// The host path crictl asked for.
    pub requested: PathBuf,
    pub requested_source: Source,
    /// The file actually read (may be the exe-dir fallback), if any.
    pub loaded: Option<PathBuf>,
    /// Why no file was used, when none was.
    pub note: Option<String>,
}

/// An endpoint setting: a URL, or `None` for "probe crictl's default list".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSetting {
    pub url: Option<String>,
    pub source: Source,
    pub detail: String,
}

/// The outcome of crictl's precedence rules, before anything is dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub config: ConfigFileUse,
    pub runtime: EndpointSetting,
    pub image: EndpointSetting,
    pub timeout: Duration,
    pub warnings: Vec<String>,
}

/// Applies crictl's precedence: flag/env, then the yaml, then the default list.
pub fn resolve(inputs: &CrictlInputs, host: &HostRoot) -> Result<Resolution, EndpointError> {
    let mut warnings = Vec::new();
    let (config, yaml) = load_config(inputs, host, &mut warnings)?;

    let runtime = pick(
        &inputs.runtime_flag,
        ENV_RUNTIME,
        inputs,
        yaml.as_ref().map(|y| &y.runtime_endpoint),
        &config,
        "runtime-endpoint",
    );
    let image = pick(
        &inputs.image_flag,
        ENV_IMAGE,
        inputs,
        yaml.as_ref().map(|y| &y.image_endpoint),
        &config,
        "image-endpoint",
    );

    // GetRuntimeService: set but empty is crictl's "--runtime-endpoint is not set".
    if let Some(set) = &runtime {
        if set.url.as_deref() == Some("") {
            return Err(EndpointError::EmptyRuntimeEndpoint { origin: set.source });
        }
    }
    let runtime = runtime.unwrap_or_else(default_setting);
    // GetImageService: an empty image endpoint takes the runtime endpoint, set-ness included.
    let image = match image {
        Some(set) if set.url.as_deref() != Some("") => set,
        _ => EndpointSetting {
            url: runtime.url.clone(),
            source: runtime.source,
            detail: format!(
                "no image endpoint set: crictl uses the runtime endpoint ({})",
                runtime.detail
            ),
        },
    };
    for setting in [&runtime, &image] {
        if let Some(url) = &setting.url {
            let parsed = UnixEndpoint::parse(url)?;
            if parsed.deprecated_bare_path {
                warnings.push(format!("endpoint {url:?} has no scheme: crictl reads it as unix://{url} and warns that this is deprecated; write the full URL"));
            }
        }
    }

    let timeout = match (inputs.timeout_flag, yaml.as_ref().map(|y| y.timeout_secs)) {
        (Some(t), _) if !t.is_zero() => t,
        (Some(_), _) => DEFAULT_TIMEOUT,
        (None, Some(secs)) if secs > 0 => Duration::from_secs(secs as u64),
        _ => DEFAULT_TIMEOUT,
    };
    Ok(Resolution {
        config,
        runtime,
        image,
        timeout,
        warnings,
    })
}

fn default_setting() -> EndpointSetting {
    EndpointSetting {
        url: None,
        source: Source::Default,
        detail: format!(
            "nothing set: crictl probes its default list in order: {}",
            DEFAULT_RUNTIME_ENDPOINTS.join(", ")
        ),
    }
}

/// flag (or env, which urfave treats the same) beats a non-empty yaml value.
fn pick(
    flag: &Option<String>,
    env_key: &str,
    inputs: &CrictlInputs,
    yaml_value: Option<&String>,
    config: &ConfigFileUse,
    yaml_key: &str,
) -> Option<EndpointSetting> {
    let flag_name = if env_key == ENV_RUNTIME {
        "--runtime-endpoint"
    } else {
        "--image-endpoint"
    };
    if let Some(v) = flag {
        return Some(EndpointSetting {
            url: Some(v.clone()),
            source: Source::Flag,
            detail: format!("{flag_name} {v}"),
        });
    }
    if let Some(v) = inputs.env.get(env_key) {
        return Some(EndpointSetting {
            url: Some(v.clone()),
            source: Source::Env,
            detail: format!("{env_key}={v}"),
        });
    }
    match (yaml_value, &config.loaded) {
        (Some(v), Some(path)) if !v.is_empty() => Some(EndpointSetting {
            url: Some(v.clone()),
            source: Source::ConfigFile,
            detail: format!("{yaml_key}: {v} in {}", path.display()),
        }),
        _ => None,
    }
}

fn load_config(
    inputs: &CrictlInputs,
    host: &HostRoot,
    warnings: &mut Vec<String>,
) -> Result<(ConfigFileUse, Option<CrictlYaml>), EndpointError> {
    let (requested, requested_source) = if let Some(p) = &inputs.config_flag {
        (p.clone(), Source::Flag)
    } else if let Some(p) = inputs.env.get(ENV_CONFIG) {
        (PathBuf::from(p), Source::Env)
    } else {
        (PathBuf::from(DEFAULT_CONFIG_PATH), Source::Default)
    };
    let explicit = requested_source != Source::Default;
    let mut usage = ConfigFileUse {
        requested: requested.clone(),
        requested_source,
        loaded: None,
        note: None,
    };

    let fail = |path: &Path,
                reason: String,
                usage: &mut ConfigFileUse,
                warnings: &mut Vec<String>| {
        if explicit {
            Err(EndpointError::ConfigFile {
                path: path.to_path_buf(),
                reason,
            })
        } else {
            let note = format!("crictl ignores {}: {reason}", path.display());
            warnings.push(format!("{note}; every crictl call then falls back to flags, env and defaults. Fix or remove the file"));
            usage.note = Some(note);
            Ok(None)
        }
    };

    let path = match locate(&requested, inputs.crictl_dir.as_deref(), host) {
        Ok(p) => p,
        Err(None) if !explicit => {
            usage.note = Some(format!("{} does not exist", requested.display()));
            return Ok((usage, None));
        }
        Err(reason) => {
            let reason = reason.unwrap_or_else(|| "it does not exist".to_string());
            let none = fail(&requested, reason, &mut usage, warnings)?;
            return Ok((usage, none));
        }
    };
    let yaml = match read_capped(&host.local(&path), MAX_CONFIG) {
        Ok(bytes) => match crictl_yaml::parse(&bytes) {
            Ok(y) => Some(y),
            Err(e) => fail(&path, e.to_string(), &mut usage, warnings)?,
        },
        Err(e) => fail(&path, format!("cannot read it: {e}"), &mut usage, warnings)?,
    };
    if yaml.is_some() {
        usage.loaded = Some(path);
    }
    Ok((usage, yaml))
}

/// The file crictl opens: the requested one, or `<crictl dir>/crictl.yaml` when
/// the requested one does not exist. `Err(None)` means neither exists.
fn locate(
    requested: &Path,
    crictl_dir: Option<&Path>,
    host: &HostRoot,
) -> Result<PathBuf, Option<String>> {
    if is_loop(&host.canonical(requested)) {
        return Err(Some(
            "it is a symlink loop (too many levels of symbolic links); fix or remove the link"
                .into(),
        ));
    }
    match std::fs::metadata(host.local(requested)) {
        Ok(_) => return Ok(requested.to_path_buf()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Some(format!("cannot stat it: {e}")));
        }
        Err(_) => {}
    }
    if let Some(dir) = crictl_dir {
        let next = dir.join("crictl.yaml");
        if host.local(&next).exists() {
            return Ok(next);
        }
    }
    Err(None)
}

/// A CRI endpoint that crictl can dial on Linux: a unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixEndpoint {
    pub path: PathBuf,
    pub deprecated_bare_path: bool,
}

impl UnixEndpoint {
    /// Parses like kubelet's `parseEndpointWithFallbackProtocol(ep, "unix")`.
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let bad = |reason: &str| EndpointError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        if url.is_empty() {
            return Err(bad("empty endpoint"));
        }
        let (rest, deprecated_bare_path) = match url.split_once("://") {
            Some(("unix", rest)) => (rest, false),
            Some(("tcp", _)) => {
                return Err(bad(
                    "crictl on Linux only dials unix sockets (\"only support unix socket endpoint\"); use unix:///path/to.sock",
                ));
            }
            Some((scheme, _)) => {
                return Err(bad(&format!(
                    "protocol {scheme:?} not supported; use unix:///path/to.sock"
                )));
            }
            None if url.contains(':') => {
                return Err(bad(
                    "not a URL crictl understands; use unix:///path/to.sock",
                ));
            }
            None => (url, true),
        };
        // url.Parse puts `unix://host/path`'s first segment in Host; crictl dials Path only.
        let path = if rest.starts_with('/') {
            rest
        } else {
            rest.find('/').map(|i| &rest[i..]).unwrap_or("")
        };
        if path.is_empty() {
            return Err(bad("no socket path after unix://"));
        }
        Ok(Self {
            path: PathBuf::from(path),
            deprecated_bare_path,
        })
    }
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
