//! What each lab scenario offers the matrix: its live CRI sockets, a live
//! socket that is not CRI, the default paths its own daemons pin, and the
//! NodeReport that maps a store to its images. Learned from crictl itself
//! and kubectl-imgdup once per scenario, before any case runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::cases::Ep;
use super::{CRICTL, TIMEOUT};
use crate::util::{Scenario, bin, stderr};

/// What a scenario offers the matrix, learned from crictl itself.
pub(super) struct Node {
    pub(super) lab: Scenario,
    /// CRI socket paths that answer crictl, the scenario's main one first.
    pub(super) live: Vec<String>,
    pub(super) non_cri: Option<String>,
    /// Default socket paths that another daemon of the node dials (Docker's
    /// containerd, for dockerd). A case may not take or shadow them: dockerd,
    /// outside the case's namespace, would still reach the real one, so the
    /// chain seen inside would be a node that cannot exist.
    pub(super) pinned: BTreeSet<String>,
    /// `kubectl-imgdup node --local -o json` on the node as is.
    report: Value,
}

impl Node {
    pub(super) fn new(lab: Scenario) -> Self {
        let sock = |key: &str| lab.state.get(key).map(|p| canonical_run(p));
        let answers = |path: &str| {
            let url = format!("unix://{path}");
            let args = ["--config", "/dev/null", "--max-retries", "0", "-t", TIMEOUT];
            let args = [&args[..], &["-r", &url, "version"]].concat();
            lab.exec(Path::new(CRICTL), &args).status.success()
        };
        let mut live = Vec::new();
        let mut quiet = Vec::new();
        for key in ["SOCK_CRI_DOCKERD", "SOCK_K3S_CONTAINERD", "SOCK_CONTAINERD"] {
            if let Some(path) = sock(key) {
                if answers(&path) {
                    live.push(path);
                } else {
                    quiet.push(path);
                }
            }
        }
        let pinned = match (sock("SOCK_CONTAINERD"), sock("SOCK_DOCKERD")) {
            (Some(containerd), Some(_)) => BTreeSet::from([containerd]),
            _ => BTreeSet::new(),
        };
        quiet.extend(sock("SOCK_DOCKERD"));
        assert!(
            !live.is_empty(),
            "{}: no CRI endpoint answers crictl",
            lab.name
        );
        let out = lab.exec(&kubectl_imgdup(), &["node", "--local", "-o", "json"]);
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: kubectl-imgdup node: {e}\n{}", lab.name, stderr(&out)));
        Self {
            lab,
            live,
            non_cri: quiet.into_iter().next(),
            pinned,
            report,
        }
    }

    pub(super) fn socket(&self, ep: Ep) -> Option<&str> {
        match ep {
            Ep::Live0 => self.live.first(),
            Ep::Live1 => self.live.get(1),
            Ep::NonCri => self.non_cri.as_ref(),
        }
        .map(String::as_str)
    }

    /// A case string with the scenario's endpoints and the case dir filled in.
    pub(super) fn fill(&self, text: &str, dir: &Path) -> String {
        let url = |ep| self.socket(ep).map(|p| format!("unix://{p}"));
        let mut s = text.replace("@L0P@", self.socket(Ep::Live0).unwrap());
        for (token, ep) in [
            ("@L0@", Ep::Live0),
            ("@L1@", Ep::Live1),
            ("@NC@", Ep::NonCri),
        ] {
            if let Some(u) = url(ep) {
                s = s.replace(token, &u);
            }
        }
        let dir = dir.display().to_string();
        s.replace("@DEAD@", &format!("unix://{dir}/dead.sock"))
            .replace("@GONE@", &format!("unix://{dir}/gone.sock"))
            .replace("@C@", &dir)
    }

    /// Image IDs of the NodeReport store that crictl-which's chain ends in.
    pub(super) fn store_images(&self, chain_store: &Value) -> Result<BTreeSet<String>, String> {
        let (runtime, path) = (&chain_store["runtime"], chain_store["path"].as_str());
        let path = path.ok_or("crictl-which's chain names no store")?;
        let store = self.report["stores"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| &s["runtime"] == runtime)
            .filter(|s| s["namespace"].is_null() || s["namespace"] == chain_store["namespace"])
            .filter(|s| {
                let root = s["path"].as_str().unwrap_or_default();
                path == root || path.starts_with(&format!("{root}/"))
            })
            .max_by_key(|s| s["path"].as_str().map(str::len))
            .ok_or_else(|| format!("the NodeReport has no store for {chain_store}"))?;
        Ok(self.report["images"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["stores"].as_array().unwrap().contains(&store["id"]))
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect())
    }
}

/// `/var/run/x` is `/run/x` in every node.
pub(super) fn canonical_run(path: &str) -> String {
    match path.strip_prefix("/var/run/") {
        Some(rest) => format!("/run/{rest}"),
        None => path.to_string(),
    }
}

/// kubectl-imgdup, built next to crictl-which (it maps a store to its images).
fn kubectl_imgdup() -> PathBuf {
    testkit::build::sibling_bin(&bin(), "kubectl-imgdup", "kubectl-imgdup")
}
