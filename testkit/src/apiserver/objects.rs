//! Object helpers: times, uids and generated names, and the defaulting,
//! validation and naming a real server applies to a created pod.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{
    Pod, ProjectedVolumeSource, Toleration, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;

use super::status::ApiError;

pub fn timestamp(t: SystemTime) -> Timestamp {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp::new(d.as_secs() as i64, d.subsec_nanos() as i32).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub fn now() -> Time {
    Time(timestamp(SystemTime::now()))
}

pub fn now_micro() -> MicroTime {
    MicroTime(timestamp(SystemTime::now()))
}

/// Seconds since a k8s time.
pub fn age_seconds(t: &Timestamp) -> i64 {
    timestamp(SystemTime::now()).as_second() - t.as_second()
}

/// splitmix64 over a global counter seeded from the clock and pid.
pub fn random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut s = STATE.load(Ordering::Relaxed);
    if s == 0 {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64
            ^ ((std::process::id() as u64) << 32);
        let _ = STATE.compare_exchange(0, seed | 1, Ordering::Relaxed, Ordering::Relaxed);
        s = STATE.load(Ordering::Relaxed);
    }
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        ^ s.rotate_left(17);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random UUID (v4 layout).
pub fn new_uid() -> String {
    let a = random_u64();
    let b = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// `generateName` suffix: 5 characters from the apiserver's alphabet.
pub fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut r = random_u64();
    (0..5)
        .map(|_| {
            let c = ALPHABET[(r % ALPHABET.len() as u64) as usize] as char;
            r /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

pub fn hex_id(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&format!("{:016x}", random_u64()));
    }
    s.truncate(len);
    s
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Rejects what the real validation rejects for the fields we use (422).
pub fn validate_pod(pod: &Pod) -> Result<(), ApiError> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut causes: Vec<(String, String, &'static str)> = Vec::new();
    if !is_dns_subdomain(&name) {
        causes.push((
            "metadata.name".into(),
            format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
            "FieldValueInvalid",
        ));
    }
    let spec = pod.spec.clone().unwrap_or_default();
    if spec.containers.is_empty() {
        causes.push((
            "spec.containers".into(),
            "Required value".into(),
            "FieldValueRequired",
        ));
    }
    let volumes: Vec<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    let mut seen = Vec::new();
    for (i, c) in spec.containers.iter().enumerate() {
        if !is_dns_label(&c.name) {
            causes.push((
                format!("spec.containers[{i}].name"),
                format!("Invalid value: \"{}\"", c.name),
                "FieldValueInvalid",
            ));
        }
        if seen.contains(&c.name) {
            causes.push((
                format!("spec.containers[{i}].name"),
                format!("Duplicate value: \"{}\"", c.name),
                "FieldValueDuplicate",
            ));
        }
        seen.push(c.name.clone());
        if c.image.as_deref().unwrap_or_default().is_empty() {
            causes.push((
                format!("spec.containers[{i}].image"),
                "Required value".into(),
                "FieldValueRequired",
            ));
        }
        for (j, m) in c.volume_mounts.iter().flatten().enumerate() {
            if !volumes.contains(&m.name.as_str()) {
                causes.push((
                    format!("spec.containers[{i}].volumeMounts[{j}].name"),
                    format!("Not found: \"{}\"", m.name),
                    "FieldValueNotFound",
                ));
            }
        }
    }
    if let Some(d) = spec.active_deadline_seconds
        && d <= 0
    {
        causes.push((
            "spec.activeDeadlineSeconds".into(),
            format!("Invalid value: {d}: must be between 1 and 2147483647, inclusive"),
            "FieldValueInvalid",
        ));
    }
    if let Some(r) = spec.restart_policy.as_deref()
        && !matches!(r, "Always" | "OnFailure" | "Never")
    {
        causes.push((
            "spec.restartPolicy".into(),
            format!(
                "Unsupported value: \"{r}\": supported values: \"Always\", \"OnFailure\", \"Never\""
            ),
            "FieldValueNotSupported",
        ));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("Pod", &name, &causes))
    }
}

fn image_pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        "IfNotPresent"
    } else {
        match last.split_once(':') {
            None => "Always",
            Some((_, "latest")) => "Always",
            Some(_) => "IfNotPresent",
        }
    }
}

/// The defaults (and ServiceAccount admission's token volume) the real
/// server adds to a created pod.
pub fn default_pod(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.restart_policy.get_or_insert_with(|| "Always".into());
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".into());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.security_context.get_or_insert_with(Default::default);
    spec.service_account_name
        .get_or_insert_with(|| "default".into());
    spec.enable_service_links.get_or_insert(true);
    spec.priority.get_or_insert(0);
    spec.preemption_policy
        .get_or_insert_with(|| "PreemptLowerPriority".into());
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let tolerated = tolerations.iter().any(|t| {
            t.operator.as_deref() == Some("Exists") && t.key.is_none()
                || t.key.as_deref() == Some(key)
        });
        if !tolerated {
            tolerations.push(Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
                ..Toleration::default()
            });
        }
    }
    let mount_token = spec.automount_service_account_token != Some(false);
    let token_volume = format!("kube-api-access-{}", name_suffix());
    if mount_token {
        spec.volumes.get_or_insert_with(Vec::new).push(Volume {
            name: token_volume.clone(),
            projected: Some(ProjectedVolumeSource {
                default_mode: Some(0o644),
                sources: Some(token_projection()),
                ..ProjectedVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    for v in spec.volumes.iter_mut().flatten() {
        if let Some(h) = v.host_path.as_mut() {
            h.type_.get_or_insert_with(String::new);
        }
    }
    for c in &mut spec.containers {
        c.termination_message_path
            .get_or_insert_with(|| "/dev/termination-log".into());
        c.termination_message_policy
            .get_or_insert_with(|| "File".into());
        let policy = image_pull_policy(c.image.as_deref().unwrap_or_default());
        c.image_pull_policy.get_or_insert_with(|| policy.into());
        c.resources.get_or_insert_with(Default::default);
        if mount_token {
            c.volume_mounts
                .get_or_insert_with(Vec::new)
                .push(VolumeMount {
                    name: token_volume.clone(),
                    mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                });
        }
    }
}

/// What ServiceAccount admission projects: a token, the cluster CA and the namespace.
fn token_projection() -> Vec<VolumeProjection> {
    serde_json::from_value(serde_json::json!([
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
    ]))
    .unwrap_or_default()
}

/// BestEffort, Burstable or Guaranteed.
pub fn qos_class(pod: &Pod) -> String {
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let r = c.resources.clone().unwrap_or_default();
        let (req, lim) = (r.requests.unwrap_or_default(), r.limits.unwrap_or_default());
        any |= !req.is_empty() || !lim.is_empty();
        for res in ["cpu", "memory"] {
            match lim.get(res) {
                Some(l) => guaranteed &= req.get(res).is_none_or(|q| q == l),
                None => guaranteed = false,
            }
        }
    }
    if !any {
        "BestEffort".into()
    } else if guaranteed {
        "Guaranteed".into()
    } else {
        "Burstable".into()
    }
}
