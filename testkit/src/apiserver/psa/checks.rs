//! The checks themselves, one function per check ID of
//! k8s.io/pod-security-admission/policy, with its messages.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, PodSpec};

use super::{containers, join_quote, plural};

const BASELINE_CAPS: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub(super) fn capabilities_baseline(spec: &PodSpec) -> Option<(String, String)> {
    let (mut bad, mut caps) = (Vec::new(), BTreeSet::new());
    for c in containers(spec) {
        let added = c
            .security_context
            .as_ref()
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|c| c.add.clone());
        let extra: Vec<String> = added
            .unwrap_or_default()
            .into_iter()
            .filter(|a| !BASELINE_CAPS.contains(&a.as_str()))
            .collect();
        if !extra.is_empty() {
            bad.push(c.name.clone());
            caps.extend(extra);
        }
    }
    (!bad.is_empty()).then(|| {
        let caps: Vec<String> = caps.into_iter().collect();
        (
            "non-default capabilities".into(),
            format!(
                "{} {} must not include {} in securityContext.capabilities.add",
                plural("container", "containers", bad.len()),
                join_quote(&bad),
                join_quote(&caps)
            ),
        )
    })
}

pub(super) fn host_namespaces(spec: &PodSpec) -> Option<(String, String)> {
    let mut v = Vec::new();
    for (set, name) in [
        (spec.host_network, "hostNetwork=true"),
        (spec.host_pid, "hostPID=true"),
        (spec.host_ipc, "hostIPC=true"),
    ] {
        if set == Some(true) {
            v.push(name);
        }
    }
    (!v.is_empty()).then(|| ("host namespaces".into(), v.join(", ")))
}

pub(super) fn host_path_volumes(spec: &PodSpec) -> Option<(String, String)> {
    // In the pod's order: the real check does not sort.
    let v: Vec<String> = spec
        .volumes
        .iter()
        .flatten()
        .filter(|v| v.host_path.is_some())
        .map(|v| v.name.clone())
        .collect();
    (!v.is_empty()).then(|| {
        (
            "hostPath volumes".into(),
            format!(
                "{} {}",
                plural("volume", "volumes", v.len()),
                join_quote(&v)
            ),
        )
    })
}

pub(super) fn host_ports(spec: &PodSpec) -> Option<(String, String)> {
    let (mut bad, mut ports) = (Vec::new(), BTreeSet::new());
    for c in containers(spec) {
        let hp: Vec<i32> = c
            .ports
            .iter()
            .flatten()
            .filter_map(|p| p.host_port)
            .filter(|p| *p != 0)
            .collect();
        if !hp.is_empty() {
            bad.push(c.name.clone());
            ports.extend(hp.iter().map(i32::to_string));
        }
    }
    (!bad.is_empty()).then(|| {
        let ports: Vec<String> = ports.into_iter().collect();
        (
            "hostPort".into(),
            format!(
                "{} {} {} {} {}",
                plural("container", "containers", bad.len()),
                join_quote(&bad),
                plural("uses", "use", bad.len()),
                plural("hostPort", "hostPorts", ports.len()),
                ports.join(", ")
            ),
        )
    })
}

pub(super) fn privileged(spec: &PodSpec) -> Option<(String, String)> {
    let bad: Vec<String> = containers(spec)
        .filter(|c| c.security_context.as_ref().and_then(|s| s.privileged) == Some(true))
        .map(|c| c.name.clone())
        .collect();
    (!bad.is_empty()).then(|| {
        (
            "privileged".into(),
            format!(
                "{} {} must not set securityContext.privileged=true",
                plural("container", "containers", bad.len()),
                join_quote(&bad)
            ),
        )
    })
}

fn seccomp_type_pod(spec: &PodSpec) -> Option<String> {
    spec.security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.clone())
}

fn seccomp_type(c: &Container) -> Option<String> {
    c.security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.clone())
}

/// Shared by both seccomp checks: who sets an invalid type, who sets none.
fn seccomp(spec: &PodSpec, valid: fn(&str) -> bool, require: bool) -> Option<(String, String)> {
    let (mut setters, mut values, mut explicit, mut implicit) =
        (Vec::new(), BTreeSet::new(), Vec::new(), Vec::new());
    let mut pod_set = false;
    if let Some(t) = seccomp_type_pod(spec) {
        if valid(&t) {
            pod_set = true;
        } else {
            setters.push("pod".to_string());
            values.insert(t);
        }
    }
    for c in containers(spec) {
        match seccomp_type(c) {
            Some(t) if !valid(&t) => {
                explicit.push(c.name.clone());
                values.insert(t);
            }
            Some(_) => {}
            None if require && !pod_set => implicit.push(c.name.clone()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(format!(
            "{} {}",
            plural("container", "containers", explicit.len()),
            join_quote(&explicit)
        ));
    }
    if !setters.is_empty() {
        let values: Vec<String> = values.into_iter().collect();
        return Some((
            "seccompProfile".into(),
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&values)
            ),
        ));
    }
    (!implicit.is_empty()).then(|| ("seccompProfile".into(), format!("pod or {} {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"", plural("container", "containers", implicit.len()), join_quote(&implicit))))
}

pub(super) fn seccomp_baseline(spec: &PodSpec) -> Option<(String, String)> {
    seccomp(spec, |t| t != "Unconfined", false)
}

pub(super) fn seccomp_restricted(spec: &PodSpec) -> Option<(String, String)> {
    seccomp(spec, |t| t == "RuntimeDefault" || t == "Localhost", true)
}

pub(super) fn allow_privilege_escalation(spec: &PodSpec) -> Option<(String, String)> {
    let bad: Vec<String> = containers(spec)
        .filter(|c| {
            c.security_context
                .as_ref()
                .and_then(|s| s.allow_privilege_escalation)
                != Some(false)
        })
        .map(|c| c.name.clone())
        .collect();
    (!bad.is_empty()).then(|| {
        (
            "allowPrivilegeEscalation != false".into(),
            format!(
                "{} {} must set securityContext.allowPrivilegeEscalation=false",
                plural("container", "containers", bad.len()),
                join_quote(&bad)
            ),
        )
    })
}

pub(super) fn capabilities_restricted(spec: &PodSpec) -> Option<(String, String)> {
    let (mut missing_drop, mut adding, mut caps) = (Vec::new(), Vec::new(), BTreeSet::new());
    for c in containers(spec) {
        let Some(cap) = c
            .security_context
            .as_ref()
            .and_then(|s| s.capabilities.as_ref())
        else {
            missing_drop.push(c.name.clone());
            continue;
        };
        if !cap.drop.iter().flatten().any(|d| d == "ALL") {
            missing_drop.push(c.name.clone());
        }
        let forbidden: Vec<String> = cap
            .add
            .iter()
            .flatten()
            .filter(|a| *a != "NET_BIND_SERVICE")
            .cloned()
            .collect();
        if !forbidden.is_empty() {
            adding.push(c.name.clone());
            caps.extend(forbidden);
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} {} must set securityContext.capabilities.drop=[\"ALL\"]",
            plural("container", "containers", missing_drop.len()),
            join_quote(&missing_drop)
        ));
    }
    if !adding.is_empty() {
        let caps: Vec<String> = caps.into_iter().collect();
        details.push(format!(
            "{} {} must not include {} in securityContext.capabilities.add",
            plural("container", "containers", adding.len()),
            join_quote(&adding),
            join_quote(&caps)
        ));
    }
    (!details.is_empty()).then(|| ("unrestricted capabilities".into(), details.join("; ")))
}

pub(super) fn restricted_volumes(spec: &PodSpec) -> Option<(String, String)> {
    let (mut bad, mut types) = (Vec::new(), BTreeSet::new());
    for v in spec.volumes.iter().flatten() {
        let ok = v.config_map.is_some()
            || v.csi.is_some()
            || v.downward_api.is_some()
            || v.empty_dir.is_some()
            || v.ephemeral.is_some()
            || v.image.is_some()
            || v.persistent_volume_claim.is_some()
            || v.projected.is_some()
            || v.secret.is_some();
        if !ok {
            bad.push(v.name.clone());
            types.insert(
                if v.host_path.is_some() {
                    "hostPath"
                } else if v.nfs.is_some() {
                    "nfs"
                } else {
                    "unknown"
                }
                .to_string(),
            );
        }
    }
    (!bad.is_empty()).then(|| {
        let types: Vec<String> = types.into_iter().collect();
        (
            "restricted volume types".into(),
            format!(
                "{} {} {} {} {}",
                plural("volume", "volumes", bad.len()),
                join_quote(&bad),
                plural("uses", "use", bad.len()),
                plural(
                    "restricted volume type",
                    "restricted volume types",
                    types.len()
                ),
                join_quote(&types)
            ),
        )
    })
}

pub(super) fn run_as_non_root(spec: &PodSpec) -> Option<(String, String)> {
    let mut setters = Vec::new();
    let pod = spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root);
    if pod == Some(false) {
        setters.push("pod".to_string());
    }
    let (mut explicit, mut implicit) = (Vec::new(), Vec::new());
    for c in containers(spec) {
        match c.security_context.as_ref().and_then(|s| s.run_as_non_root) {
            Some(false) => explicit.push(c.name.clone()),
            Some(true) => {}
            None if pod != Some(true) => implicit.push(c.name.clone()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        setters.push(format!(
            "{} {}",
            plural("container", "containers", explicit.len()),
            join_quote(&explicit)
        ));
    }
    if !setters.is_empty() {
        return Some((
            "runAsNonRoot != true".into(),
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
        ));
    }
    (!implicit.is_empty()).then(|| {
        (
            "runAsNonRoot != true".into(),
            format!(
                "pod or {} {} must set securityContext.runAsNonRoot=true",
                plural("container", "containers", implicit.len()),
                join_quote(&implicit)
            ),
        )
    })
}

pub(super) fn run_as_user(spec: &PodSpec) -> Option<(String, String)> {
    let mut setters = Vec::new();
    if spec.security_context.as_ref().and_then(|s| s.run_as_user) == Some(0) {
        setters.push("pod".to_string());
    }
    let bad: Vec<String> = containers(spec)
        .filter(|c| c.security_context.as_ref().and_then(|s| s.run_as_user) == Some(0))
        .map(|c| c.name.clone())
        .collect();
    if !bad.is_empty() {
        setters.push(format!(
            "{} {}",
            plural("container", "containers", bad.len()),
            join_quote(&bad)
        ));
    }
    (!setters.is_empty()).then(|| {
        (
            "runAsUser=0".into(),
            format!("{} must not set runAsUser=0", setters.join(" and ")),
        )
    })
}
