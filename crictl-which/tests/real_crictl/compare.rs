//! Whether crictl-which agrees with crictl in one case: what each program
//! did (exit codes, crictl's `--debug` log, the sockets as the case saw
//! them), and the rules that turn two outcomes into a list of differences:
//! same endpoint, same cause of failure, same runtime, same store.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use super::cases::Case;
use super::node::{Node, canonical_run};

pub(super) struct Run {
    pub(super) rc: i32,
    pub(super) out: String,
    pub(super) err: String,
}

pub(super) struct Outcome {
    pub(super) version: Run,
    pub(super) images: Run,
    pub(super) info: Run,
    pub(super) which: Run,
    /// `path -> dev:inode` of the known socket paths, seen inside the case.
    pub(super) inodes: HashMap<String, String>,
}

impl Outcome {
    /// Whether two socket paths (or `unix://` URLs) are one socket in the case.
    fn same_socket(&self, a: &str, b: &str) -> bool {
        let path = |s: &str| canonical_run(s.trim_start_matches("unix://"));
        let (a, b) = (path(a), path(b));
        a == b
            || self
                .inodes
                .get(&a)
                .is_some_and(|i| self.inodes.get(&b) == Some(i))
    }
}

/// The `msg` of each logrus line of `level` (`time=… level=debug msg="…"`).
fn log_msgs(stderr: &str, level: &str) -> Vec<String> {
    let tag = format!(" level={level} msg=");
    stderr
        .lines()
        .filter_map(|l| l.split_once(&tag).map(|(_, m)| m))
        .map(
            |m| match m.strip_prefix('"').and_then(|m| m.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
                None => m.to_string(),
            },
        )
        .collect()
}

/// What crictl did for one kind of call (runtime: `version`; image: `images`).
struct Side {
    ok: bool,
    /// The endpoint `--debug` says it connected to (only when probing the defaults).
    connected: Option<String>,
    probed_defaults: bool,
    error: String,
}

impl Side {
    fn summary(&self) -> String {
        match (&self.ok, &self.connected) {
            (true, Some(c)) => format!("ok, connected to {c} (defaults)"),
            (true, None) => "ok".into(),
            (false, _) => self.error.trim().to_string(),
        }
    }
}

fn side(run: &Run) -> Side {
    let debug = log_msgs(&run.err, "debug");
    let connected = debug.iter().rev().find_map(|m| {
        m.strip_prefix("Connected successfully using endpoint: ")
            .map(str::to_string)
    });
    let probed_defaults = log_msgs(&run.err, "warning")
        .iter()
        .any(|m| m.contains("connect using default endpoints"));
    Side {
        ok: run.rc == 0,
        connected,
        probed_defaults,
        error: log_msgs(&run.err, "error")
            .pop()
            .unwrap_or_else(|| run.err.clone()),
    }
}

/// Checks that crictl-which names the cause of crictl's failure `msg`.
fn same_cause(msg: &str, defaults: bool, ours: &str) -> Result<(), String> {
    let ours = ours.to_lowercase();
    let quoted_after = |marker: &str, close: char| {
        msg.split_once(marker)
            .and_then(|(_, rest)| rest.split_once(close))
            .map(|(v, _)| v.to_string())
    };
    let want: Vec<String> = if msg.contains("--runtime-endpoint is not set")
        || msg.contains("--image-endpoint is not set")
    {
        vec![msg.to_string()]
    } else if let Some(opt) = quoted_after("Config option '", '\'') {
        vec![format!("config option '{opt}' is not valid")]
    } else if let Some(opt) = quoted_after("parsing config option '", '\'') {
        vec![format!("parsing config option '{opt}'")]
    } else if let Some(path) = msg
        .split_once("load config file: stat ")
        .and_then(|(_, r)| r.strip_suffix(": no such file or directory"))
    {
        vec![path.to_string(), "does not exist".into()]
    } else if msg.contains("load config file: yaml: ") {
        vec!["not valid yaml".into()]
    } else if msg.contains("load config file: read ") && msg.ends_with("is a directory") {
        vec!["directory".into()]
    } else if msg.contains("validate CRI v1") && defaults {
        vec!["no default endpoint answers".into()]
    } else if let Some(url) = quoted_after("for endpoint \"", '"') {
        vec![url]
    } else if msg.contains("only support unix socket endpoint") {
        vec!["only support unix socket endpoint".into()]
    } else if let Some(scheme) = quoted_after("protocol \"", '"') {
        vec![format!("protocol \"{scheme}\" not supported")]
    } else {
        return Err(format!(
            "unclassified crictl failure {msg:?}: teach same_cause"
        ));
    };
    match want.iter().find(|w| !ours.contains(&w.to_lowercase())) {
        None => Ok(()),
        Some(w) => Err(format!(
            "crictl failed with {msg:?}; crictl-which never says {w:?}"
        )),
    }
}

/// Every way crictl-which's answer differs from crictl's in one case.
fn differences(node: &Node, o: &Outcome) -> Vec<String> {
    let mut diffs = Vec::new();
    let chain: Option<Value> = serde_json::from_str(&o.which.out).ok();
    let ours = format!("{}\n{}", o.which.out, o.which.err);
    let (runtime, image) = (side(&o.version), side(&o.images));
    let want_rc = if runtime.ok && image.ok { 0 } else { 1 };
    if o.which.rc != want_rc {
        diffs.push(format!(
            "crictl-which exits {} where crictl's calls {} (version {}, images {})",
            o.which.rc,
            if want_rc == 0 { "all work" } else { "fail" },
            o.version.rc,
            o.images.rc
        ));
    }
    for (what, key, s) in [
        ("runtime", "runtimeEndpoint", &runtime),
        ("image", "imageEndpoint", &image),
    ] {
        let ours_ep = chain.as_ref().map(|c| &c[key]);
        let url = ours_ep.and_then(|e| e["url"].as_str());
        if !s.ok {
            if let Err(e) = same_cause(&s.error, s.probed_defaults, &ours) {
                diffs.push(format!("{what}: {e}"));
            }
            continue;
        }
        let Some(ep) = ours_ep else {
            diffs.push(format!(
                "{what}: crictl works, crictl-which printed no chain"
            ));
            continue;
        };
        let explicit = ep["source"] != "default";
        match &s.connected {
            Some(c) if url != Some(c.as_str()) || explicit => diffs.push(format!(
                "{what}: crictl probed its defaults and connected to {c}; crictl-which says {url:?} ({})",
                ep["source"]
            )),
            None if !explicit => diffs.push(format!(
                "{what}: crictl was given its endpoint; crictl-which probed the defaults ({url:?})"
            )),
            _ => {}
        }
    }
    let Some(chain) = chain else {
        return diffs;
    };
    if runtime.ok {
        diffs.extend(same_runtime(o, &chain));
    }
    if image.ok {
        let crictl_ids: BTreeSet<String> =
            o.images.out.split_whitespace().map(String::from).collect();
        match node.store_images(&chain["store"]) {
            Ok(ids) if ids == crictl_ids => {}
            Ok(ids) => diffs.push(format!(
                "crictl images -q: {crictl_ids:?}; the NodeReport store {} holds {ids:?}",
                chain["store"]["path"]
            )),
            Err(e) => diffs.push(e),
        }
    }
    diffs
}

/// The runtime crictl reached (`version`, `info`) is the one of crictl-which's hops.
fn same_runtime(o: &Outcome, chain: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let hops = chain["hops"].as_array().cloned().unwrap_or_default();
    let field = |name: &str| {
        o.version.out.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().to_string())
        })
    };
    let kind = match field("RuntimeName").as_deref() {
        Some("docker") => "cri-dockerd".to_string(),
        Some("cri-o") => "crio".to_string(),
        other => other.unwrap_or_default().to_string(),
    };
    let first = hops.first().cloned().unwrap_or_default();
    if first["kind"] != kind.as_str()
        || first["version"].as_str() != field("RuntimeVersion").as_deref()
    {
        diffs.push(format!(
            "crictl version says {kind} {:?}; crictl-which's first hop is {} {}",
            field("RuntimeVersion"),
            first["kind"],
            first["version"]
        ));
    }
    if let Ok(info) = serde_json::from_str::<Value>(&o.info.out) {
        if kind == "containerd" && info["config"]["containerdRootDir"].is_null() {
            diffs.push("crictl info names no containerdRootDir: teach same_runtime".into());
        }
        if let Some(root) = info["config"]["containerdRootDir"].as_str() {
            let sock = info["config"]["containerdEndpoint"]
                .as_str()
                .unwrap_or_default();
            let hop = hops.iter().find(|h| h["kind"] == "containerd");
            let ours = hop.map(|h| (h["root"].as_str(), h["endpoint"].as_str()));
            // The same socket: a symlink or bind mount to it counts.
            let same = ours.is_some_and(|(r, e)| {
                r == Some(root)
                    && e.is_some_and(|e| e.starts_with("unix://") && o.same_socket(e, sock))
            });
            if !same {
                diffs.push(format!(
                    "crictl info: containerd root {root}, endpoint {sock}; crictl-which's containerd hop: {ours:?}"
                ));
            }
        }
    } else {
        diffs.push(format!("crictl info is not JSON: {}", o.info.out));
    }
    diffs
}

/// How crictl's runtime and image calls went, for the run's summary: the
/// matrix must exercise success by probing, success as given, and failure.
fn how(o: &Outcome) -> [String; 2] {
    [("runtime", &o.version), ("image", &o.images)].map(|(what, run)| {
        let s = side(run);
        let how = match (s.ok, s.connected.is_some()) {
            (true, true) => "ok, probed",
            (true, false) => "ok, given",
            (false, _) if s.probed_defaults => "failed, probed",
            (false, _) => "failed",
        };
        format!("{what} {how}")
    })
}

/// Runs one case: what differs (`None` when crictl-which agrees with crictl),
/// and how crictl's calls went.
pub(super) fn check(node: &Node, case: &Case, dir: &Path) -> (Option<String>, [String; 2]) {
    let head = format!(
        "{} / {:?} (files in {})",
        node.lab.name,
        case.name,
        dir.display()
    );
    let outcome = match case.run(node, dir) {
        Ok(o) => o,
        Err(e) => return (Some(format!("{head}:\n  {e}")), Default::default()),
    };
    let diffs = differences(node, &outcome);
    let report = (!diffs.is_empty()).then(|| {
        format!(
            "{head}:\n  {}\n  crictl version: {}\n  crictl images: {}\n  crictl-which stderr: {}",
            diffs.join("\n  "),
            side(&outcome.version).summary(),
            side(&outcome.images).summary(),
            outcome.which.err.trim()
        )
    });
    (report, how(&outcome))
}
