//! k3s: its data dir and runtime flags, and which crictl config its
//! multicall `k3s crictl` reads.

use std::path::{Path, PathBuf};

use crate::chain::endpoint::{self, CrictlInputs};
use crate::chain::setting::{pick, read_config};
use crate::host::daemon_config::K3sConfig;
use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;
use crate::model::chain::K3sCrictl;
use crate::model::evidence::{Source, Sourced};

/// What a k3s process and its config say about its runtime.
pub struct K3sView {
    pub data_dir: Sourced<String>,
    pub docker: bool,
    /// `--container-runtime-endpoint`: an external runtime (or dockerd with `--docker`).
    pub runtime_endpoint: Option<Sourced<String>>,
}

impl K3sView {
    /// Flags beat `/etc/rancher/k3s/config.yaml` (or `--config`), which beats defaults.
    pub fn of(node: &HostView, process: Option<&Process>, warnings: &mut Vec<String>) -> Self {
        let cmd = process.map(|p| &p.cmdline);
        let config_path = cmd
            .and_then(|c| c.value(&["-c", "--config"]))
            .unwrap_or_else(|| d::K3S_CONFIG.to_string());
        // Each chain looks at k3s: the same file is one warning.
        let config =
            read_config(node, &config_path, K3sConfig::parse, warnings).unwrap_or_default();
        let data_dir = pick(
            cmd,
            &["--data-dir", "-d"],
            config.data_dir.as_deref(),
            &config_path,
            "data-dir",
            d::K3S_DATA_DIR,
        );
        let docker = cmd
            .and_then(|c| c.bool_flag(&["--docker"]))
            .or(config.docker)
            .unwrap_or(false);
        let runtime_endpoint = cmd
            .and_then(|c| c.value(&["--container-runtime-endpoint"]))
            .map(|v| {
                Sourced::new(
                    v.clone(),
                    Source::ProcessCmdline,
                    format!("k3s --container-runtime-endpoint {v}"),
                )
            })
            .or_else(|| {
                config.container_runtime_endpoint.map(|v| {
                    Sourced::new(
                        v.clone(),
                        Source::ConfigFile,
                        format!("container-runtime-endpoint: {v} in {config_path}"),
                    )
                })
            });
        Self {
            data_dir,
            docker,
            runtime_endpoint,
        }
    }
}

/// k3s's multicall `crictl` sets `CRI_CONFIG_FILE` (when unset) to the first
/// existing file of: `<data-dir>/agent/etc/crictl.yaml`,
/// `~/.rancher/k3s/agent/etc/crictl.yaml`, `/var/lib/rancher/k3s/agent/etc/crictl.yaml`,
/// `/etc/crictl.yaml` (k3s `cmd/k3s/main.go`). Reported only where k3s is.
pub fn k3s_crictl(
    node: &HostView,
    inputs: &CrictlInputs,
    crictl_url: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<K3sCrictl> {
    let process = node.procs.named("k3s").next();
    if process.is_none() && !node.exists(d::K3S_DATA_DIR) {
        return None;
    }
    let k3s = K3sView::of(node, process, warnings);
    let mut k3s_inputs = inputs.clone();
    if !k3s_inputs.env.contains_key(endpoint::ENV_CONFIG) {
        let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("/root"));
        let candidates = [
            PathBuf::from(format!("{}/agent/etc/crictl.yaml", k3s.data_dir.value)),
            home.join(".rancher/k3s/agent/etc/crictl.yaml"),
            PathBuf::from(format!("{}/agent/etc/crictl.yaml", d::K3S_DATA_DIR)),
            PathBuf::from(endpoint::DEFAULT_CONFIG_PATH),
        ];
        if let Some(found) = candidates.iter().find(|c| node.exists(c)) {
            k3s_inputs
                .env
                .insert(endpoint::ENV_CONFIG.into(), found.display().to_string());
        }
    }
    let config_file = k3s_inputs.env.get(endpoint::ENV_CONFIG).cloned();
    let runtime_endpoint = match endpoint::resolve(&k3s_inputs, &node.host) {
        Ok(r) => r.runtime.url,
        Err(e) => {
            warnings.push(format!("k3s crictl: {e}"));
            None
        }
    };
    let same_as_crictl = match (&runtime_endpoint, crictl_url) {
        (Some(a), b) => node.same_socket(Some(a), b),
        (None, _) => {
            config_file.as_deref().map(Path::new) == Some(Path::new(endpoint::DEFAULT_CONFIG_PATH))
                || config_file.is_none()
        }
    };
    Some(K3sCrictl {
        config_file,
        runtime_endpoint,
        same_as_crictl,
    })
}
