//! PodSecurity admission (k8s.io/pod-security-admission, policy/check_*.go):
//! the checks a debug pod can hit, in the real order (baseline check IDs
//! sorted, then restricted ones; restricted overrides capabilities_baseline,
//! hostPathVolumes and seccompProfile_baseline) and with the real messages.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};

mod checks;

use checks::*;

type Check = fn(&PodSpec) -> Option<(String, String)>;

fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    if v.is_empty() {
        String::new()
    } else {
        format!("\"{}\"", v.join("\", \""))
    }
}

fn plural<'a>(one: &'a str, many: &'a str, n: usize) -> &'a str {
    if n == 1 { one } else { many }
}

fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
}

/// Baseline check IDs sorted: capabilities_baseline, hostNamespaces,
/// hostPathVolumes, hostPorts, privileged, seccompProfile_baseline.
const BASELINE: [(&str, Check); 6] = [
    ("capabilities_baseline", capabilities_baseline),
    ("hostNamespaces", host_namespaces),
    ("hostPathVolumes", host_path_volumes),
    ("hostPorts", host_ports),
    ("privileged", privileged),
    ("seccompProfile_baseline", seccomp_baseline),
];

/// Restricted check IDs sorted.
const RESTRICTED: [(&str, Check); 6] = [
    ("allowPrivilegeEscalation", allow_privilege_escalation),
    ("capabilities_restricted", capabilities_restricted),
    ("restrictedVolumes", restricted_volumes),
    ("runAsNonRoot", run_as_non_root),
    ("runAsUser", run_as_user),
    ("seccompProfile_restricted", seccomp_restricted),
];

const OVERRIDDEN: [&str; 3] = [
    "capabilities_baseline",
    "hostPathVolumes",
    "seccompProfile_baseline",
];

/// `hostPath volumes (volumes "a", "b"), privileged (...)`, or None when the
/// level admits the pod.
pub fn violations(level: &str, pod: &Pod) -> Option<String> {
    let spec = pod.spec.clone().unwrap_or_default();
    let checks: Vec<Check> = match level {
        "privileged" => return None,
        "baseline" => BASELINE.iter().map(|(_, c)| *c).collect(),
        _ => BASELINE
            .iter()
            .filter(|(id, _)| !OVERRIDDEN.contains(id))
            .chain(RESTRICTED.iter())
            .map(|(_, c)| *c)
            .collect(),
    };
    let found: Vec<String> = checks
        .iter()
        .filter_map(|c| c(&spec))
        .map(|(reason, detail)| {
            if detail.is_empty() {
                reason
            } else {
                format!("{reason} ({detail})")
            }
        })
        .collect();
    (!found.is_empty()).then(|| found.join(", "))
}

/// The namespace's (level, version) for a mode (`enforce`, `warn`).
pub fn policy(labels: &BTreeMap<String, String>, mode: &str, default: &str) -> (String, String) {
    let level = labels
        .get(&format!("pod-security.kubernetes.io/{mode}"))
        .cloned()
        .unwrap_or_else(|| default.to_string());
    // An invalid level is evaluated as restricted, like the real admission.
    let level = if matches!(level.as_str(), "privileged" | "baseline" | "restricted") {
        level
    } else {
        "restricted".into()
    };
    let version = labels
        .get(&format!("pod-security.kubernetes.io/{mode}-version"))
        .cloned()
        .unwrap_or_else(|| "latest".into());
    (level, version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn baseline_and_restricted_messages() {
        let p = pod(serde_json::json!({"metadata": {"name": "p"}, "spec": {
            "hostNetwork": true,
            "containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}],
            "volumes": [{"name": "b", "hostPath": {"path": "/b"}}, {"name": "a", "hostPath": {"path": "/a"}}]}}));
        assert_eq!(
            violations("baseline", &p).unwrap(),
            "non-default capabilities (container \"c\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add), host namespaces (hostNetwork=true), hostPath volumes (volumes \"b\", \"a\"), privileged (container \"c\" must not set securityContext.privileged=true)"
        );
        let p = pod(
            serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}),
        );
        assert_eq!(violations("baseline", &p), None);
        assert_eq!(
            violations("restricted", &p).unwrap(),
            "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
        let p = pod(serde_json::json!({"metadata": {"name": "p"}, "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "i", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
            "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}));
        assert_eq!(
            violations("restricted", &p).unwrap(),
            "restricted volume types (volume \"h\" uses restricted volume type \"hostPath\")"
        );
    }
}
