//! crictl's endpoint resolution, reproduced exactly.
//!
//! Sources, kubernetes-sigs/cri-tools v1.37.0, checked against that crictl
//! run side by side with crictl-which (`crictl-which/tests/real_crictl.rs`):
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
//!   its set-ness ("--image-endpoint is not set" when that is empty too);
//!   unset means probing the defaults with `ImageFsInfo`. Each is checked
//!   only when a command uses it, so one broken side leaves the other working.
//! - `pkg/common/config.go` `GetServerConfigFromFile`: a config path that
//!   `stat` cannot find (an empty one included; a relative one is taken from
//!   the working directory) falls back to `<dir of os.Executable()>/crictl.yaml`,
//!   the binary's directory with symlinks resolved.
//! - `pkg/common/file.go` `getConfigOptions`: only known keys are accepted.
//! - `cmd/crictl/main_unix.go`: `defaultRuntimeEndpoints`.
//! - k8s.io/cri-client `util_unix.go` `parseEndpoint`: only `unix` works on
//!   Linux; a bare path is read as `unix://` with a deprecation note, and the
//!   host of `unix://host/path` is ignored.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::host::root::HostRoot;
use crate::model::evidence::Source;

mod config_file;
pub use config_file::{ConfigFileUse, find_crictl_dir};

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
        "the runtime endpoint is set but empty ({origin}): crictl fails every runtime call with \"--runtime-endpoint is not set\"; set a URL such as unix:///run/containerd/containerd.sock"
    )]
    EmptyRuntimeEndpoint { origin: Source },
    #[error(
        "the runtime endpoint is set but empty ({origin}) and no image endpoint is set: crictl fails every image call with \"--image-endpoint is not set\"; set -i / IMAGE_SERVICE_ENDPOINT or the runtime endpoint"
    )]
    EmptyImageEndpoint { origin: Source },
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

/// An endpoint setting: a URL, or `None` for "probe crictl's default list".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSetting {
    /// As crictl dials it: `unix:///path` (a bare path or `unix://host/path`
    /// is rewritten; `detail` keeps what was given).
    pub url: Option<String>,
    pub source: Source,
    pub detail: String,
    /// Why crictl fails every call on this endpoint before dialling (set but
    /// empty, not a unix URL). crictl checks each endpoint only when a
    /// command uses it, so the other one still works.
    pub problem: Option<String>,
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
/// Only a config-file error fails the whole resolution, as it fails every
/// crictl command; an unusable endpoint is a `problem` of its side alone.
pub fn resolve(inputs: &CrictlInputs, host: &HostRoot) -> Result<Resolution, EndpointError> {
    let mut warnings = Vec::new();
    let (config, yaml) = config_file::load_config(inputs, host, &mut warnings)?;

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

    let mut runtime = runtime.unwrap_or_else(default_setting);
    let runtime_empty = mark_empty_runtime(&mut runtime);
    let mut image = image_or_runtime(image, &runtime, runtime_empty);
    for setting in [&mut runtime, &mut image] {
        normalise_url(setting, &mut warnings);
    }
    let timeout = timeout(inputs.timeout_flag, yaml.as_ref().map(|y| y.timeout_secs));
    Ok(Resolution {
        config,
        runtime,
        image,
        timeout,
        warnings,
    })
}

/// GetRuntimeService: set but empty is crictl's "--runtime-endpoint is not
/// set". Returns whether it was, as the image side inherits that.
fn mark_empty_runtime(runtime: &mut EndpointSetting) -> bool {
    let runtime_empty = runtime.url.as_deref() == Some("");
    if runtime_empty {
        runtime.problem = Some(
            EndpointError::EmptyRuntimeEndpoint {
                origin: runtime.source,
            }
            .to_string(),
        );
    }
    runtime_empty
}

/// GetImageService: an empty image endpoint takes the runtime endpoint,
/// set-ness included; "--image-endpoint is not set" when that is empty too.
fn image_or_runtime(
    image: Option<EndpointSetting>,
    runtime: &EndpointSetting,
    runtime_empty: bool,
) -> EndpointSetting {
    match image {
        Some(set) if set.url.as_deref() != Some("") => set,
        _ => EndpointSetting {
            url: runtime.url.clone(),
            source: runtime.source,
            detail: format!(
                "no image endpoint set: crictl uses the runtime endpoint ({})",
                runtime.detail
            ),
            problem: runtime_empty.then(|| {
                EndpointError::EmptyImageEndpoint {
                    origin: runtime.source,
                }
                .to_string()
            }),
        },
    }
}

/// Rewrites a set URL to the socket crictl dials (warning when that differs
/// from what was given), or records why crictl cannot dial it.
fn normalise_url(setting: &mut EndpointSetting, warnings: &mut Vec<String>) {
    let Some(url) = setting.url.clone().filter(|u| !u.is_empty()) else {
        return;
    };
    match UnixEndpoint::parse(&url) {
        Ok(parsed) => {
            let dialled = format!("unix://{}", parsed.path.display());
            if parsed.deprecated_bare_path {
                warnings.push(format!("endpoint {url:?} has no scheme: crictl reads it as {dialled} and warns that this is deprecated; write the full URL"));
            } else if dialled != url {
                warnings.push(format!(
                    "endpoint {url:?} names a host, which crictl ignores: it dials {dialled}"
                ));
            }
            setting.url = Some(dialled);
        }
        Err(e) => setting.problem = Some(e.to_string()),
    }
}

/// The flag, then the yaml's `timeout`; zero or less means crictl's default.
fn timeout(flag: Option<Duration>, yaml_secs: Option<i64>) -> Duration {
    match (flag, yaml_secs) {
        (Some(t), _) if !t.is_zero() => t,
        (Some(_), _) => DEFAULT_TIMEOUT,
        (None, Some(secs)) if secs > 0 => Duration::from_secs(secs as u64),
        _ => DEFAULT_TIMEOUT,
    }
}

fn default_setting() -> EndpointSetting {
    EndpointSetting {
        url: None,
        source: Source::Default,
        detail: format!(
            "nothing set: crictl probes its default list in order: {}",
            DEFAULT_RUNTIME_ENDPOINTS.join(", ")
        ),
        problem: None,
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
            problem: None,
        });
    }
    if let Some(v) = inputs.env.get(env_key) {
        return Some(EndpointSetting {
            url: Some(v.clone()),
            source: Source::Env,
            detail: format!("{env_key}={v}"),
            problem: None,
        });
    }
    match (yaml_value, &config.loaded) {
        (Some(v), Some(path)) if !v.is_empty() => Some(EndpointSetting {
            url: Some(v.clone()),
            source: Source::ConfigFile,
            detail: format!("{yaml_key}: {v} in {}", path.display()),
            problem: None,
        }),
        _ => None,
    }
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
        // url.Parse also takes `host:1234` as an opaque URL of scheme "host".
        let opaque_scheme = url.split_once(':').map(|(s, _)| s).filter(|s| is_scheme(s));
        let (rest, deprecated_bare_path) = match (url.split_once("://"), opaque_scheme) {
            (Some(("unix", rest)), _) => (rest, false),
            (Some(("tcp", _)), _) => {
                return Err(bad(
                    "crictl on Linux only dials unix sockets (\"only support unix socket endpoint\"); use unix:///path/to.sock",
                ));
            }
            (Some((scheme, _)), _) => {
                return Err(bad(&format!(
                    "protocol {scheme:?} not supported; use unix:///path/to.sock"
                )));
            }
            (None, Some(scheme)) => {
                return Err(bad(&format!(
                    "protocol {:?} not supported; use unix:///path/to.sock",
                    scheme.to_lowercase()
                )));
            }
            (None, None) if url.contains(':') => {
                return Err(bad(
                    "not a URL crictl understands; use unix:///path/to.sock",
                ));
            }
            (None, None) => (url, true),
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

/// Go's `getScheme`: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

#[cfg(test)]
#[path = "endpoint_config_tests.rs"]
mod config_tests;
#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
