//! The simulated API server's configuration: a YAML (or JSON) file, with
//! CLI flags overriding `listen` and `kubeconfig`. See the module docs in
//! `mod.rs` for an example.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// `127.0.0.1:0` (a random port) unless given.
    pub listen: String,
    /// Where to write the kubeconfig (cluster and context `sim`); default: a
    /// temp dir the server removes when it stops.
    pub kubeconfig: Option<PathBuf>,
    /// `/version` and the nodes' kubelet version.
    pub kubernetes_version: String,
    /// Changes kept for watches that resume from a resourceVersion; an older
    /// one gets a 410 Expired, as after etcd compaction.
    pub watch_history: usize,
    /// How long PodGC waits before deleting pods whose node is gone.
    pub pod_gc_seconds: f64,
    /// ErrImagePull turns into ImagePullBackOff after this long.
    pub image_pull_backoff_seconds: f64,
    pub nodes: Vec<NodeConfig>,
    /// Many identical fake nodes (`prefix0`, `prefix1`, ...), for scale tests.
    pub fake_nodes: Option<FakeNodes>,
    pub faults: Vec<FaultRule>,
    /// Seed of the fault-injection random numbers (`rate`).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            kubeconfig: None,
            kubernetes_version: "v1.32.0".into(),
            watch_history: 10_000,
            pod_gc_seconds: 1.0,
            image_pull_backoff_seconds: 1.0,
            nodes: Vec::new(),
            fake_nodes: None,
            faults: Vec::new(),
            seed: 1,
        }
    }
}

/// A node: a Ready linux/amd64 Node object, and a kubelet that runs no
/// process: each container "runs" for `fake.seconds`, then prints
/// `fake.output` and exits with `fake.exitCode`, whatever its image.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NodeConfig {
    pub name: String,
    pub fake: FakeSpec,
    pub faults: NodeFaults,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NodeFaults {
    /// The kubelet never acts on pods bound to this node: they keep the
    /// status the API server gave them at creation (phase Pending, no
    /// condition), as on a real server, where a pod with `spec.nodeName`
    /// bypasses the scheduler.
    pub pending: bool,
    /// Every image pull fails (ErrImagePull, then ImagePullBackOff).
    pub image_pull: bool,
    /// The node is deleted this long after its first pod starts running.
    pub delete_after_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FakeSpec {
    /// How long the container "runs".
    pub seconds: f64,
    pub exit_code: i32,
    /// The log; `{node}`, `{pod}` and `{namespace}` are replaced.
    pub output: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FakeNodes {
    pub count: usize,
    pub prefix: String,
    pub fake: FakeSpec,
}

/// One fault-injection rule. A request matches when its endpoint class, its
/// resource and namespace match (unset: any).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FaultRule {
    /// list, watch, get, create, delete, deletecollection, log, discovery or
    /// any (default).
    pub endpoint: Option<String>,
    /// pods, nodes, pods/log, selfsubjectaccessreviews.
    pub resource: Option<String>,
    pub namespace: Option<String>,
    /// Added before the answer.
    pub latency_seconds: f64,
    /// Answer with this status instead (500, 429, 503, 504...).
    pub code: Option<u16>,
    /// The share of matching requests that get `code` (default 1).
    pub rate: Option<f64>,
    /// Let the first N matching requests through.
    pub skip: u64,
    /// Fire at most N times.
    pub times: Option<u64>,
    /// The Retry-After of a 429/503 (seconds, default 1).
    pub retry_after_seconds: Option<u64>,
    /// A watch ends after this many events.
    pub drop_after_events: Option<usize>,
}

impl Config {
    /// Reads a YAML or JSON config file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_yaml(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses a YAML (or JSON) config.
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        let cfg: Config =
            serde_yaml::from_str(text).context("parsing the simulated API server config")?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let mut names = std::collections::BTreeSet::new();
        for n in self.all_nodes() {
            if n.name.is_empty() {
                bail!("a node has no name");
            }
            if !names.insert(n.name.clone()) {
                bail!("two nodes are named {:?}", n.name);
            }
        }
        Ok(())
    }

    /// `nodes` plus the generated `fakeNodes`.
    pub fn all_nodes(&self) -> Vec<NodeConfig> {
        let mut out = self.nodes.clone();
        if let Some(f) = &self.fake_nodes {
            let prefix = if f.prefix.is_empty() {
                "node-"
            } else {
                &f.prefix
            };
            for i in 0..f.count {
                out.push(NodeConfig {
                    name: format!("{prefix}{i}"),
                    fake: f.fake.clone(),
                    ..NodeConfig::default()
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_and_fake_nodes_parse() {
        let cfg = Config::from_yaml(
            "nodes: [{name: a, fake: {seconds: 1}, faults: {pending: true}}]\nfakeNodes: {count: 3}",
        )
        .unwrap();
        let names: Vec<String> = cfg.all_nodes().into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["a", "node-0", "node-1", "node-2"]);
        assert!(cfg.nodes[0].faults.pending);
        assert!(
            Config::from_yaml("nodes: [{name: a}, {name: a}]").is_err(),
            "node names are unique"
        );
        assert!(
            Config::from_yaml("nodes: [{name: a, lab: k3s-docker}]").is_err(),
            "unknown keys are errors"
        );
    }
}
