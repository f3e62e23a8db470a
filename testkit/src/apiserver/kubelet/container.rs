//! From a pod's container spec to a sandbox: volumes (hostPath with the
//! kubelet's type checks, emptyDir, the service account token), the
//! image's binary, the command line and environment (with fieldRef and
//! $(VAR) expansion), the user and the capabilities containerd would give.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, Pod};

use super::sandbox::{Exec, Mount, MountSource, Sandbox};
use super::volumes::{self, NodeRoot};
use crate::apiserver::config::ImageSpec;

/// Why the container cannot be created yet.
#[derive(Debug, Clone)]
pub enum PrepError {
    /// FailedMount: `MountVolume.SetUp failed for volume "v" : ...`.
    Mount { volume: String, message: String },
    /// CreateContainerConfigError.
    Config(String),
}

/// containerd's default capability set.
const DEFAULT_CAPS: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

fn cap_name(c: &str) -> String {
    c.trim_start_matches("CAP_").to_ascii_uppercase()
}

pub fn capabilities(c: &Container) -> Vec<String> {
    let sc = c.security_context.clone().unwrap_or_default();
    if sc.privileged == Some(true) {
        return vec!["ALL".into()];
    }
    let caps = sc.capabilities.unwrap_or_default();
    let drop: Vec<String> = caps
        .drop
        .unwrap_or_default()
        .iter()
        .map(|d| cap_name(d))
        .collect();
    let add: Vec<String> = caps
        .add
        .unwrap_or_default()
        .iter()
        .map(|d| cap_name(d))
        .collect();
    if add.iter().any(|a| a == "ALL") {
        return vec!["ALL".into()];
    }
    let mut set: Vec<String> = if drop.iter().any(|d| d == "ALL") {
        Vec::new()
    } else {
        DEFAULT_CAPS
            .iter()
            .map(|s| s.to_string())
            .filter(|s| !drop.contains(s))
            .collect()
    };
    for a in add {
        if !set.contains(&a) {
            set.push(a);
        }
    }
    set
}

/// `$(VAR)` expansion as the kubelet does it (`$$` escapes).
pub fn expand(s: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$$") {
            out.push('$');
            rest = t;
        } else if let Some(end) = tail.strip_prefix("$(").and_then(|t| t.find(')')) {
            let name = &tail[2..2 + end];
            match env.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&tail[..3 + end]),
            }
            rest = &tail[3 + end..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

fn field_ref(pod: &Pod, path: &str) -> Option<String> {
    let m = &pod.metadata;
    let st = pod.status.clone().unwrap_or_default();
    let spec = pod.spec.clone().unwrap_or_default();
    let label = |map: &Option<BTreeMap<String, String>>, key: &str| {
        map.as_ref()
            .and_then(|l| l.get(key).cloned())
            .unwrap_or_default()
    };
    Some(match path {
        "metadata.name" => m.name.clone().unwrap_or_default(),
        "metadata.namespace" => m.namespace.clone().unwrap_or_default(),
        "metadata.uid" => m.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.node_name.unwrap_or_default(),
        "spec.serviceAccountName" => spec.service_account_name.unwrap_or_default(),
        "status.hostIP" | "status.hostIPs" => st.host_ip.unwrap_or_default(),
        "status.podIP" | "status.podIPs" => st.pod_ip.unwrap_or_default(),
        p if p.starts_with("metadata.labels['") => label(
            &m.labels,
            p.trim_start_matches("metadata.labels['")
                .trim_end_matches("']"),
        ),
        p if p.starts_with("metadata.annotations['") => label(
            &m.annotations,
            p.trim_start_matches("metadata.annotations['")
                .trim_end_matches("']"),
        ),
        _ => return None,
    })
}

fn environment(
    pod: &Pod,
    c: &Container,
    hostname: &str,
) -> Result<Vec<(String, String)>, PrepError> {
    let mut env: Vec<(String, String)> = vec![
        (
            "PATH".into(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        ),
        ("HOSTNAME".into(), hostname.into()),
    ];
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    for e in c.env.iter().flatten() {
        let value = if let Some(v) = &e.value {
            expand(v, &known)
        } else if let Some(src) = &e.value_from {
            if let Some(f) = &src.field_ref {
                field_ref(pod, &f.field_path).ok_or_else(|| {
                    PrepError::Config(format!("unsupported fieldPath: {}", f.field_path))
                })?
            } else if src.resource_field_ref.is_some() {
                "2".into()
            } else if let Some(r) = &src.config_map_key_ref {
                if r.optional == Some(true) {
                    continue;
                }
                return Err(PrepError::Config(format!(
                    "configmap \"{}\" not found",
                    r.name
                )));
            } else if let Some(r) = &src.secret_key_ref {
                if r.optional == Some(true) {
                    continue;
                }
                return Err(PrepError::Config(format!(
                    "secret \"{}\" not found",
                    r.name
                )));
            } else {
                String::new()
            }
        } else {
            String::new()
        };
        known.insert(e.name.clone(), value.clone());
        env.retain(|(k, _)| *k != e.name);
        env.push((e.name.clone(), value));
    }
    Ok(env)
}

fn write_files(dir: &Path, files: &[(&str, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, content) in files {
        std::fs::write(dir.join(name), content)?;
    }
    Ok(())
}

pub struct Inputs<'a> {
    pub pod: &'a Pod,
    pub container: &'a Container,
    pub image: &'a ImageSpec,
    /// The busybox /bin dir for busybox images.
    pub busybox_bin: Option<PathBuf>,
    pub node: &'a NodeRoot,
    pub node_name: &'a str,
    pub dir: PathBuf,
    pub helper: PathBuf,
    pub token: &'a str,
}

pub fn prepare(i: Inputs<'_>) -> Result<Sandbox, PrepError> {
    let spec = i.pod.spec.clone().unwrap_or_default();
    let c = i.container;
    let pod_name = i.pod.metadata.name.clone().unwrap_or_default();
    let hostname = if spec.host_network == Some(true) {
        i.node_name.to_string()
    } else {
        pod_name.clone()
    };
    let io_err = |e: std::io::Error| PrepError::Config(format!("preparing the container: {e}"));
    let mut mounts = Vec::new();

    // The image: its binary at the command's path, or a busybox /bin.
    let command: Vec<String> = c.command.clone().unwrap_or_default();
    let (entry, cmd) = if command.is_empty() {
        (
            i.image.entrypoint.clone(),
            c.args.clone().unwrap_or_else(|| i.image.cmd.clone()),
        )
    } else {
        (command, c.args.clone().unwrap_or_default())
    };
    let file_name = i
        .image
        .binary
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut argv: Vec<String> = entry.into_iter().chain(cmd).collect();
    if let Some(bin) = &i.busybox_bin {
        mounts.push(Mount {
            source: MountSource::Bind {
                src: bin.clone(),
                dir: true,
            },
            dst: "/bin".into(),
            read_only: true,
        });
    } else {
        let path = i.image.path.clone().unwrap_or_else(|| match argv.first() {
            Some(a) if a.starts_with('/') => a.clone(),
            _ => format!("/{file_name}"),
        });
        if argv.is_empty() {
            argv.push(path.clone());
        }
        mounts.push(Mount {
            source: MountSource::Bind {
                src: i.image.binary.clone(),
                dir: false,
            },
            dst: path,
            read_only: true,
        });
    }

    // What the kubelet puts in every container.
    let etc = i.dir.join("etc");
    write_files(&etc, &[
        ("hostname", format!("{hostname}\n")),
        ("hosts", format!("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{}\t{hostname}\n", i.pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default())),
        ("resolv.conf", "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n".into()),
    ]).map_err(io_err)?;
    for f in ["hostname", "hosts", "resolv.conf"] {
        mounts.push(Mount {
            source: MountSource::Bind {
                src: etc.join(f),
                dir: false,
            },
            dst: format!("/etc/{f}"),
            read_only: false,
        });
    }

    // Volumes, parents first.
    let volumes: BTreeMap<String, _> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| (v.name.clone(), v.clone()))
        .collect();
    let mut vm: Vec<_> = c.volume_mounts.clone().unwrap_or_default();
    vm.sort_by_key(|m| m.mount_path.trim_end_matches('/').matches('/').count());
    for m in vm {
        let Some(v) = volumes.get(&m.name) else {
            continue;
        };
        let ro = m.read_only == Some(true);
        let fail = |message: String| PrepError::Mount {
            volume: m.name.clone(),
            message,
        };
        let source = if let Some(h) = &v.host_path {
            let mut path = h.path.clone();
            if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
                path = format!("{}/{sub}", path.trim_end_matches('/'));
            }
            let resolved =
                volumes::setup_host_path(i.node, &path, h.type_.as_deref().unwrap_or_default())
                    .map_err(fail)?;
            MountSource::Bind {
                dir: volumes::is_dir(i.node, &resolved),
                src: i.node.script_path(&resolved),
            }
        } else if v.empty_dir.is_some() {
            MountSource::Tmpfs
        } else if v.projected.is_some() || v.downward_api.is_some() {
            let d = i.dir.join(format!("vol-{}", m.name));
            let ns = i.pod.metadata.namespace.clone().unwrap_or_default();
            write_files(
                &d,
                &[
                    ("token", i.token.to_string()),
                    ("ca.crt", String::new()),
                    ("namespace", ns),
                ],
            )
            .map_err(io_err)?;
            MountSource::Bind { src: d, dir: true }
        } else if let Some(cm) = &v.config_map {
            return Err(fail(format!("configmap \"{}\" not found", cm.name)));
        } else if let Some(s) = &v.secret {
            return Err(fail(format!(
                "secret \"{}\" not found",
                s.secret_name.clone().unwrap_or_default()
            )));
        } else {
            return Err(fail(
                "volume type not supported by the simulated kubelet".into(),
            ));
        };
        mounts.push(Mount {
            source,
            dst: m.mount_path.clone(),
            read_only: ro,
        });
    }

    let env = environment(i.pod, c, &hostname)?;
    let known: BTreeMap<String, String> = env.iter().cloned().collect();
    let argv: Vec<String> = argv.iter().map(|a| expand(a, &known)).collect();
    let psc = spec.security_context.clone().unwrap_or_default();
    let csc = c.security_context.clone().unwrap_or_default();
    Ok(Sandbox {
        node: i.node.clone(),
        dir: i.dir,
        mounts,
        read_only_root: csc.read_only_root_filesystem == Some(true),
        host_pid: spec.host_pid == Some(true),
        helper: i.helper,
        exec: Exec {
            argv,
            env,
            workdir: c.working_dir.clone(),
            uid: csc.run_as_user.or(psc.run_as_user),
            gid: csc.run_as_group.or(psc.run_as_group),
            caps: capabilities(c),
            no_new_privs: csc.allow_privilege_escalation == Some(false),
            hostname,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_and_caps() {
        let env = BTreeMap::from([("NODE".to_string(), "n1".to_string())]);
        assert_eq!(
            expand("--node=$(NODE) $(MISSING) $$(NODE)", &env),
            "--node=n1 $(MISSING) $(NODE)"
        );
        let c: Container = serde_json::from_value(serde_json::json!({"name": "c", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["CAP_SYS_PTRACE"]}}})).unwrap();
        assert_eq!(capabilities(&c), ["SYS_PTRACE"]);
        let c: Container = serde_json::from_value(serde_json::json!({"name": "c"})).unwrap();
        assert_eq!(capabilities(&c).len(), 14);
    }
}
