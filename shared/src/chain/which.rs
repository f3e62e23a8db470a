//! `crictl-which`: resolve crictl's endpoints, follow them, list the rest.

use std::path::PathBuf;
use std::time::Instant;

use crate::chain::endpoint::{
    ConfigFileUse, CrictlInputs, DEFAULT_RUNTIME_ENDPOINTS, EndpointSetting, Resolution,
};
use crate::chain::follow::{Followed, follow_cri_on};
use crate::chain::k3s::k3s_crictl;
use crate::chain::others;
use crate::host::defaults as d;
use crate::host::view::HostView;
use crate::model::chain::{
    API_VERSION, Chain, ConfigRef, EndpointRef, Hop, HopKind, K3sCrictl, Probe,
};
use crate::model::evidence::{Evidence, Source};
use crate::runtime::Connections;
use crate::runtime::cri::CriClient;

/// Which CRI call crictl probes a default endpoint with.
#[derive(Clone, Copy)]
enum ProbeCall {
    Version,
    ImageFsInfo,
}

/// Builds the whole `Chain` document for one node. Each socket is dialled
/// once for the whole document: the default-endpoint probe's connection is
/// the one the chain is then followed on.
pub async fn which(node: &HostView, inputs: &CrictlInputs, resolution: &Resolution) -> Chain {
    let conns = Connections::default();
    let mut warnings = resolution.warnings.clone();
    let mut probes = Vec::new();
    let runtime = settle(
        node,
        &conns,
        &resolution.runtime,
        ProbeCall::Version,
        &mut probes,
        &mut warnings,
    )
    .await;
    let image = settle(
        node,
        &conns,
        &resolution.image,
        ProbeCall::ImageFsInfo,
        &mut probes,
        &mut warnings,
    )
    .await;

    let mut followed = match &runtime.url {
        _ if resolution.runtime.problem.is_some() => unusable(&resolution.runtime),
        Some(url) => {
            follow_cri_on(
                node,
                &conns,
                url,
                Evidence::new(runtime.source, runtime.detail.clone()),
            )
            .await
        }
        None => Default::default(),
    };
    warnings.append(&mut followed.warnings);
    let mut image_hops = Vec::new();
    let mut store = followed.store.take();
    if resolution.image.problem.is_some() {
        if resolution.image.problem != resolution.runtime.problem {
            image_hops = unusable(&resolution.image).hops;
        }
    } else if let Some(url) = image
        .url
        .as_deref()
        .filter(|u| !node.same_socket(Some(u), runtime.url.as_deref()))
    {
        let mut image_chain = follow_cri_on(
            node,
            &conns,
            url,
            Evidence::new(image.source, image.detail.clone()),
        )
        .await;
        warnings.append(&mut image_chain.warnings);
        store = image_chain.store;
        image_hops = image_chain.hops;
    }
    let on_chain: Vec<&Hop> = followed.hops.iter().chain(&image_hops).collect();
    let others = others::discover(node, &on_chain, &mut warnings).await;
    let k3s_crictl = k3s_crictl(node, inputs, runtime.url.as_deref(), &mut warnings);
    if let Some(k) = k3s_crictl.as_ref().filter(|k| !k.same_as_crictl) {
        warnings.push(k3s_differs(k, &runtime));
    }
    Chain {
        api_version: API_VERSION.into(),
        kind: "Chain".into(),
        runtime_endpoint: runtime,
        image_endpoint: image,
        config: config_ref(&resolution.config),
        probes,
        hops: followed.hops,
        image_hops,
        store,
        others,
        k3s_crictl,
        warnings,
    }
}

/// `crictl` and `k3s crictl` disagree: each one's endpoint, and the fix.
fn k3s_differs(k: &K3sCrictl, runtime: &EndpointRef) -> String {
    format!(
        "`crictl` and `k3s crictl` reach different runtimes: crictl → {}, k3s crictl → {} (k3s sets CRI_CONFIG_FILE={}). Pin one endpoint in both configs",
        runtime.url.as_deref().unwrap_or("nothing"),
        k.runtime_endpoint
            .as_deref()
            .unwrap_or("crictl's default list"),
        k.config_file.as_deref().unwrap_or("-"),
    )
}

/// The config file crictl read, as the document shows it.
fn config_ref(config: &ConfigFileUse) -> ConfigRef {
    ConfigRef {
        path: config.requested.display().to_string(),
        source: config.requested_source,
        loaded: config.loaded.as_ref().map(|p| p.display().to_string()),
        note: config.note.clone(),
    }
}

/// An endpoint crictl cannot dial at all (see `EndpointSetting::problem`):
/// one failed hop, so the chain says why every such call fails.
fn unusable(setting: &EndpointSetting) -> Followed {
    let mut hop = Hop::new(HopKind::Unknown, setting.url.clone().unwrap_or_default());
    hop.fail(setting.problem.clone().unwrap_or_default());
    Followed {
        hops: vec![hop],
        ..Default::default()
    }
}

/// An explicit endpoint as is; an unset one probed through crictl's default
/// list in order, the way crictl does, timing each dial.
async fn settle(
    node: &HostView,
    conns: &Connections,
    setting: &EndpointSetting,
    call: ProbeCall,
    probes: &mut Vec<Probe>,
    warnings: &mut Vec<String>,
) -> EndpointRef {
    if let Some(url) = &setting.url {
        return EndpointRef {
            url: Some(url.clone()),
            source: setting.source,
            detail: setting.detail.clone(),
        };
    }
    let (chosen, dead_ms) = probe_defaults(node, conns, call, probes).await;
    let what = match call {
        ProbeCall::Version => "runtime-endpoint",
        ProbeCall::ImageFsInfo => "image-endpoint",
    };
    match chosen {
        Some(url) => {
            let hint = format!(
                "crictl found its {what} by probing defaults ({dead_ms:.0} ms spent on dead ones, up to the full --timeout each when a socket hangs); pin it: crictl config --set {what}={url}"
            );
            if !warnings.contains(&hint) {
                warnings.push(hint);
            }
            let how = if node.offline {
                "the first default whose socket exists (offline: not dialled)"
            } else {
                "the first default that answered"
            };
            EndpointRef {
                url: Some(url.to_string()),
                source: Source::Default,
                detail: format!(
                    "{how}; crictl probes {}",
                    DEFAULT_RUNTIME_ENDPOINTS.join(", ")
                ),
            }
        }
        None => no_default(what, probes, warnings),
    }
}

/// Probes crictl's default endpoints in order, recording each (once across
/// both calls); returns the first that answered and the time spent on the
/// dead ones before it.
async fn probe_defaults(
    node: &HostView,
    conns: &Connections,
    call: ProbeCall,
    probes: &mut Vec<Probe>,
) -> (Option<&'static str>, f64) {
    let mut dead_ms = 0.0;
    for url in DEFAULT_RUNTIME_ENDPOINTS {
        let started = Instant::now();
        let result = probe(node, conns, url, call).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let ok = result.is_ok();
        if !probes.iter().any(|p: &Probe| p.endpoint == url) {
            probes.push(Probe {
                endpoint: url.to_string(),
                ok,
                elapsed_ms,
                error: result.err(),
            });
        }
        if ok {
            return (Some(url), dead_ms);
        }
        dead_ms += elapsed_ms;
    }
    (None, dead_ms)
}

/// No default endpoint answered: crictl fails every call on this side.
fn no_default(what: &str, probes: &[Probe], warnings: &mut Vec<String>) -> EndpointRef {
    // Not root: a default socket is there but closed to this user.
    // Pinning another endpoint would not help; the probe says what does.
    let denied = probes
        .iter()
        .filter_map(|p| p.error.as_deref())
        .find(|e| e.starts_with("permission denied"));
    let (warning, detail) = match denied {
        Some(e) => (
            format!("no default endpoint answers this user, so crictl fails for its {what}: {e}"),
            format!("none of crictl's default endpoints answered: {e}"),
        ),
        None => (
            format!(
                "no default endpoint answers, so crictl fails for its {what}: set one with crictl config --set {what}=unix:///path/to.sock"
            ),
            "none of crictl's default endpoints answered".into(),
        ),
    };
    warnings.push(warning);
    EndpointRef {
        url: None,
        source: Source::Default,
        detail,
    }
}

async fn probe(
    node: &HostView,
    conns: &Connections,
    url: &str,
    call: ProbeCall,
) -> Result<(), String> {
    let path = PathBuf::from(d::unix_path(url).unwrap_or(url));
    if node.offline {
        return if node.exists(&path) {
            Ok(())
        } else {
            Err(format!("socket {} does not exist", path.display()))
        };
    }
    let channel = conns
        .grpc(&node.host, &path, node.timeout)
        .await
        .map_err(|e| e.to_string())?;
    let client = CriClient::on(channel, &path, node.timeout);
    match call {
        ProbeCall::Version => client.version().await.map(drop),
        ProbeCall::ImageFsInfo => client.image_fs_mountpoints().await.map(drop),
    }
    .map_err(|e| e.to_string())
}
