//! The simulated API server's configuration: a YAML (or JSON) file, with
//! CLI flags overriding `listen` and `kubeconfig`. See the module docs in
//! `mod.rs` for an example.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// `127.0.0.1:0` (a random port) unless given.
    pub listen: String,
    /// Where to write the kubeconfig (cluster `sim`, context `sim`, a token user).
    pub kubeconfig: Option<PathBuf>,
    /// The user name in the kubeconfig and in RBAC messages.
    pub user: String,
    /// The bearer token written into the kubeconfig.
    pub token: String,
    /// Answer 401 to requests without the token. Off by default: kubectl
    /// (client-go's clientcmd) sends no credentials to an http:// server,
    /// kube-rs does.
    pub require_token: bool,
    /// Per-pod scratch dirs (default /tmp/imgdup-sim-<pid>-<n>; must be
    /// visible inside lab nodes, which share /tmp with the host).
    pub state_dir: Option<PathBuf>,
    /// The `imgdup-sim-exec` helper (default: next to the running binary, or
    /// `<repo>/target/debug`).
    pub exec_helper: Option<PathBuf>,
    /// `/version` and the nodes' kubelet version.
    pub kubernetes_version: String,
    /// Changes kept for watches that resume from a resourceVersion.
    pub watch_history: usize,
    /// How often a watch with allowWatchBookmarks gets a BOOKMARK.
    pub bookmark_interval_seconds: f64,
    /// How long PodGC waits before deleting pods whose node is gone.
    pub pod_gc_seconds: f64,
    /// ErrImagePull turns into ImagePullBackOff after this long.
    pub image_pull_backoff_seconds: f64,
    /// The PodSecurity level of namespaces without an `enforce` label.
    pub pod_security_default: String,
    pub namespaces: Vec<NamespaceConfig>,
    pub nodes: Vec<NodeConfig>,
    /// Many identical fake nodes (`prefix0`, `prefix1`, ...), for scale tests.
    pub fake_nodes: Option<FakeNodes>,
    /// Image reference (or repository, or `*`) -> executable on this host.
    pub images: BTreeMap<String, ImageConfig>,
    pub rbac: RbacConfig,
    pub faults: Vec<FaultRule>,
    /// Seed of the fault-injection random numbers (`rate`).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            kubeconfig: None,
            user: "sim".into(),
            token: "sim-token".into(),
            require_token: false,
            state_dir: None,
            exec_helper: None,
            kubernetes_version: "v1.32.0".into(),
            watch_history: 10_000,
            bookmark_interval_seconds: 60.0,
            pod_gc_seconds: 1.0,
            image_pull_backoff_seconds: 1.0,
            pod_security_default: "privileged".into(),
            namespaces: Vec::new(),
            nodes: Vec::new(),
            fake_nodes: None,
            images: BTreeMap::new(),
            rbac: RbacConfig::default(),
            faults: Vec::new(),
            seed: 1,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NamespaceConfig {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NodeConfig {
    pub name: String,
    /// The node is this lab scenario (`testkit/lab/lab up <scenario>`).
    pub lab: Option<String>,
    /// The node's root is this host directory.
    pub dir: Option<PathBuf>,
    /// No process: phases follow a timer.
    pub fake: Option<FakeSpec>,
    /// Extra labels (kubernetes.io/os, arch and hostname are always set).
    pub labels: BTreeMap<String, String>,
    pub os: Option<String>,
    pub arch: Option<String>,
    /// false: the kubelet is down (Ready=False); its pods stay Pending.
    pub ready: Option<bool>,
    /// Cordoned.
    pub unschedulable: bool,
    pub container_runtime_version: Option<String>,
    pub os_image: Option<String>,
    pub internal_ip: Option<String>,
    /// Delay before the kubelet starts a pod's containers.
    pub start_seconds: f64,
    pub faults: NodeFaults,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NodeFaults {
    /// Pods bound to this node stay Pending (PodScheduled=False, Unschedulable,
    /// a FailedScheduling event).
    pub pending: bool,
    /// The FailedScheduling message (default: an Insufficient cpu message).
    pub pending_message: Option<String>,
    /// Every image pull fails (ErrImagePull, then ImagePullBackOff).
    pub image_pull: bool,
    /// The kubelet rejects pods: phase Failed, reason OutOfcpu.
    pub out_of_cpu: bool,
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
    pub labels: BTreeMap<String, String>,
    pub start_seconds: f64,
}

/// `image: /path/to/binary` or `image: {binary: ..., path: ..., busybox: true}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ImageConfig {
    Binary(PathBuf),
    Full(ImageSpec),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ImageSpec {
    /// The executable on this host.
    pub binary: PathBuf,
    /// Where it appears in the container (default: the command's first
    /// word when absolute, else `/<file name>`).
    pub path: Option<String>,
    /// The image's ENTRYPOINT and CMD, used when the pod gives no command.
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// A busybox image: /bin holds the binary and a link per applet.
    pub busybox: bool,
}

impl ImageConfig {
    pub fn spec(&self) -> ImageSpec {
        match self {
            ImageConfig::Binary(p) => ImageSpec {
                busybox: p.file_name().is_some_and(|n| n == "busybox"),
                binary: p.clone(),
                ..ImageSpec::default()
            },
            ImageConfig::Full(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RbacConfig {
    /// `allow` (default) or `deny`: the answer when no rule matches.
    pub default: String,
    pub allow: Vec<RbacRule>,
    /// Deny rules win over allow rules.
    pub deny: Vec<RbacRule>,
}

impl Default for RbacConfig {
    fn default() -> Self {
        Self {
            default: "allow".into(),
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }
}

/// Empty lists match everything; `*` matches anything; a resource may name a
/// subresource (`pods/log`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RbacRule {
    pub verbs: Vec<String>,
    pub resources: Vec<String>,
    pub namespaces: Vec<String>,
    pub names: Vec<String>,
}

/// One fault-injection rule. A request matches when its endpoint class, its
/// resource and namespace match (unset: any).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FaultRule {
    /// list, watch, get, create, delete, deletecollection, log, patch,
    /// discovery or any (default).
    pub endpoint: Option<String>,
    /// pods, nodes, pods/log, events, namespaces, selfsubjectaccessreviews.
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
        let cfg: Config =
            serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses a YAML (or JSON) config.
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        let cfg: Config =
            serde_yaml::from_str(text).context("parsing the simulated API server config")?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        for n in self.all_nodes() {
            let kinds = n.lab.is_some() as u8 + n.dir.is_some() as u8 + n.fake.is_some() as u8;
            if kinds != 1 {
                bail!("node {:?}: give exactly one of lab, dir or fake", n.name);
            }
            if n.name.is_empty() {
                bail!("a node has no name");
            }
        }
        if !matches!(self.rbac.default.as_str(), "allow" | "deny") {
            bail!("rbac.default must be allow or deny");
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
                    fake: Some(f.fake.clone()),
                    labels: f.labels.clone(),
                    start_seconds: f.start_seconds,
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
    fn the_example_config_parses() {
        let cfg = Config::from_yaml(include_str!("../../sim-apiserver.example.yaml")).unwrap();
        assert_eq!(cfg.all_nodes().len(), 4);
        assert!(
            cfg.images
                .contains_key("ghcr.io/imgdup/kubectl-imgdup:0.1.0")
        );
        let json =
            r#"{"nodes": [{"name": "a", "fake": {"seconds": 1}}], "fakeNodes": {"count": 3}}"#;
        let names: Vec<String> = Config::from_yaml(json)
            .unwrap()
            .all_nodes()
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(names, ["a", "node-0", "node-1", "node-2"]);
        assert!(
            Config::from_yaml("nodes: [{name: a}]").is_err(),
            "a node needs a kind"
        );
        assert!(
            Config::from_yaml("bogus: 1").is_err(),
            "unknown keys are errors"
        );
    }
}
