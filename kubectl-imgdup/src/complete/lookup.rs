//! Completion candidates read from the kubeconfig and from the cluster.
//!
//! Every cluster lookup runs on its own small runtime under one deadline:
//! the kube client gets it as its connect/read/write timeout and the whole
//! lookup is cut off at it, so a silent API server costs the deadline and
//! never more. A completion prints what it has on stdout; why the cluster
//! could not answer goes to stderr, in the same one line as every command's
//! (kubectl's shell scripts drop that stderr; a person running it sees it).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, anyhow};
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::{ListParams, ObjectMeta};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use super::{Candidate, Line};
use crate::connect::Loaded;
use crate::connect_error::{Cause, describe, describe_cause};

/// Enough for any shell menu; big clusters page beyond it.
const LIMIT: u32 = 500;

/// What to ask the cluster.
#[derive(Debug, Clone)]
pub enum Query {
    /// Node names, limited by the `-l` already typed.
    Nodes,
    Namespaces,
    /// The label keys of the nodes.
    LabelKeys,
    /// The values of this label on the nodes.
    LabelValues(String),
}

/// A word from the cluster is offered only if a shell can take it as is.
fn clean(word: &str) -> bool {
    !word.is_empty() && !word.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn read_kubeconfig(path: Option<&Path>) -> Option<Kubeconfig> {
    match path {
        Some(p) => Kubeconfig::read_from(p).ok(),
        None => Kubeconfig::read().ok(),
    }
}

/// The contexts of the kubeconfig in effect (`--kubeconfig`, else
/// `$KUBECONFIG`, else `~/.kube/config`); no API call.
pub fn contexts(kubeconfig: Option<&Path>) -> Vec<Candidate> {
    let Some(kc) = read_kubeconfig(kubeconfig) else {
        return Vec::new();
    };
    let current = kc.current_context.clone().unwrap_or_default();
    kc.contexts
        .iter()
        .filter(|c| clean(&c.name))
        .map(|c| {
            let cluster = c.context.as_ref().map(|x| x.cluster.as_str());
            let mut help = format!("cluster {}", cluster.unwrap_or("-"));
            if c.name == current {
                help.push_str(" (current)");
            }
            Candidate::new(&c.name, help)
        })
        .collect()
}

/// Asks the cluster, within `deadline`; nothing when it cannot answer in
/// time, and then the reason on stderr.
pub fn cluster(line: &Line<'_>, query: Query, deadline: Instant) -> Vec<Candidate> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Vec::new();
    }
    let loaded = match Loaded::read(line.kubeconfig.as_deref(), line.context.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("kubectl-imgdup: {e}");
            return Vec::new();
        }
    };
    let server = loaded.server().unwrap_or_default();
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let selector = line.selector.clone();
    let out = rt.block_on(async {
        let fetch = async {
            let client = client(&loaded, &server, deadline).await?;
            fetch(client, query, selector)
                .await
                .map_err(|e| anyhow!(describe(&e, &server, &loaded.context)))
        };
        tokio::time::timeout(left, fetch).await
    });
    // A kubeconfig exec plugin may still run: do not wait for it.
    rt.shutdown_background();
    match out {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            eprintln!("kubectl-imgdup: {e}");
            Vec::new()
        }
        Err(_) => {
            let said = describe_cause(&Cause::Timeout, &server, &loaded.context);
            eprintln!("kubectl-imgdup: {said} (completion waits {left:?})");
            Vec::new()
        }
    }
}

async fn client(loaded: &Loaded, server: &str, deadline: Instant) -> Result<Client> {
    let options = KubeConfigOptions {
        context: Some(loaded.context.clone()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(loaded.kubeconfig.clone(), &options)
        .await
        .map_err(|e| anyhow!(describe(&e, server, &loaded.context)))?;
    let left = deadline.saturating_duration_since(Instant::now());
    config.connect_timeout = Some(left);
    config.read_timeout = Some(left);
    config.write_timeout = Some(left);
    Client::try_from(config).map_err(|e| loaded.client_error(&e, server))
}

async fn fetch(
    client: Client,
    query: Query,
    selector: Option<String>,
) -> Result<Vec<Candidate>, kube::Error> {
    let params = |selector: Option<String>| ListParams {
        label_selector: selector,
        limit: Some(LIMIT),
        ..Default::default()
    };
    if let Query::Namespaces = query {
        let list = Api::<Namespace>::all(client)
            .list_metadata(&params(None))
            .await?;
        return Ok(list
            .items
            .iter()
            .filter_map(|n| n.metadata.name.as_deref().filter(|n| clean(n)))
            .map(|n| Candidate::new(n, ""))
            .collect());
    }
    let selector = matches!(query, Query::Nodes).then_some(selector).flatten();
    let nodes = Api::<Node>::all(client)
        .list_metadata(&params(selector))
        .await?;
    let metas: Vec<&ObjectMeta> = nodes.items.iter().map(|n| &n.metadata).collect();
    Ok(match query {
        Query::Nodes => metas.iter().filter_map(|m| node(m)).collect(),
        Query::LabelKeys => label_keys(&metas),
        Query::LabelValues(key) => label_values(&metas, &key),
        Query::Namespaces => Vec::new(),
    })
}

/// A node name, described by its os/arch labels.
fn node(m: &ObjectMeta) -> Option<Candidate> {
    let name = m.name.as_deref().filter(|n| clean(n))?;
    let labels = m.labels.clone().unwrap_or_default();
    let label = |k: &str| labels.get(k).cloned().unwrap_or_else(|| "?".into());
    let help = format!(
        "{}/{}",
        label("kubernetes.io/os"),
        label("kubernetes.io/arch")
    );
    Some(Candidate::new(name, help))
}

fn label_keys(metas: &[&ObjectMeta]) -> Vec<Candidate> {
    let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
    for m in metas {
        for k in m.labels.iter().flat_map(|l| l.keys()) {
            *keys.entry(k.as_str()).or_default() += 1;
        }
    }
    keys.into_iter()
        .filter(|(k, _)| clean(k))
        .map(|(k, n)| Candidate::new(k, format!("on {n} node(s)")))
        .collect()
}

fn label_values(metas: &[&ObjectMeta], key: &str) -> Vec<Candidate> {
    let mut values: BTreeMap<&str, usize> = BTreeMap::new();
    for m in metas {
        if let Some(v) = m.labels.as_ref().and_then(|l| l.get(key)) {
            *values.entry(v.as_str()).or_default() += 1;
        }
    }
    values
        .into_iter()
        .filter(|(v, _)| !v.chars().any(|c| c.is_control() || c.is_whitespace()))
        .map(|(v, n)| Candidate::new(v, format!("{n} node(s)")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn labels_keys_values_and_hostile_names() {
        let a = meta("a", &[("tier", "web"), ("zone", "z1")]);
        let b = meta("b\x1b[31m", &[("tier", "db")]);
        let metas = [&a, &b];
        let keys: Vec<String> = label_keys(&metas).into_iter().map(|c| c.word).collect();
        assert_eq!(keys, ["tier", "zone"]);
        let values: Vec<String> = label_values(&metas, "tier")
            .into_iter()
            .map(|c| c.word)
            .collect();
        assert_eq!(values, ["db", "web"]);
        assert!(node(&a).is_some());
        assert!(node(&b).is_none(), "control characters are never offered");
    }
}
