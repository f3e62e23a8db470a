//! Image "pulls": an image reference maps to an executable on this host
//! (config `images`); an unmapped image fails to pull like a missing tag.
//! A busybox image gets a /bin of applet links, prepared once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::apiserver::config::{ImageConfig, ImageSpec};

/// `busybox` -> `docker.io/library/busybox:latest`, as containerd names it.
pub fn normalize(image: &str) -> String {
    let (name, tag) = match image.rsplit_once('@') {
        Some(_) => (image.to_string(), String::new()),
        None => {
            let last = image.rsplit('/').next().unwrap_or(image);
            if last.contains(':') {
                (image.to_string(), String::new())
            } else {
                (image.to_string(), ":latest".into())
            }
        }
    };
    let first = name.split('/').next().unwrap_or_default();
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if has_registry {
        name
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    format!("{full}{tag}")
}

fn repository(image: &str) -> String {
    let n = normalize(image);
    let n = n.split('@').next().unwrap_or(&n).to_string();
    match n.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_string(),
        _ => n,
    }
}

/// The configured image for a reference: exact, normalized, by repository,
/// then `*`.
pub fn resolve(images: &BTreeMap<String, ImageConfig>, image: &str) -> Option<ImageSpec> {
    if let Some(c) = images.get(image) {
        return Some(c.spec());
    }
    let norm = normalize(image);
    let repo = repository(image);
    images
        .iter()
        .find(|(k, _)| normalize(k) == norm)
        .or_else(|| {
            images
                .iter()
                .find(|(k, _)| !k.contains(':') && k.as_str() != "*" && repository(k) == repo)
        })
        .or_else(|| images.get_key_value("*"))
        .map(|(_, c)| c.spec())
}

pub fn not_found_message(image: &str) -> String {
    let n = normalize(image);
    format!(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{n}\": failed to resolve reference \"{n}\": {n}: not found"
    )
}

pub fn unreachable_message(image: &str) -> String {
    let n = normalize(image);
    let registry = n.split('/').next().unwrap_or("docker.io").to_string();
    format!(
        "rpc error: code = Unknown desc = failed to pull and unpack image \"{n}\": failed to resolve reference \"{n}\": failed to do request: Head \"https://{registry}/v2/\": dial tcp: lookup {registry}: i/o timeout"
    )
}

pub fn digest(image: &str) -> String {
    let mut h = Sha256::new();
    h.update(normalize(image).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `docker.io/library/busybox@sha256:...`
pub fn image_id(image: &str) -> String {
    format!("{}@sha256:{}", repository(image), digest(image))
}

/// A host directory to bind at /bin: the busybox binary plus a symlink per
/// applet (`busybox --list`).
pub fn busybox_bin(state_dir: &Path, binary: &Path) -> std::io::Result<PathBuf> {
    let dir = state_dir
        .join("images")
        .join(format!(
            "busybox-{}",
            &digest(&binary.display().to_string())[..12]
        ))
        .join("bin");
    if dir.join("busybox").is_file() {
        return Ok(dir);
    }
    let tmp = dir.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    std::fs::copy(binary, tmp.join("busybox"))?;
    let out = std::process::Command::new(binary).arg("--list").output()?;
    for applet in String::from_utf8_lossy(&out.stdout).lines() {
        let applet = applet.trim();
        if !applet.is_empty() && applet != "busybox" && !applet.contains('/') {
            std::os::unix::fs::symlink("busybox", tmp.join(applet))?;
        }
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        Err(_) if dir.join("busybox").is_file() => Ok(dir),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_containerd() {
        assert_eq!(normalize("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(normalize("imgdup/agent:1"), "docker.io/imgdup/agent:1");
        assert_eq!(
            normalize("ghcr.io/imgdup/kubectl-imgdup:0.1.0"),
            "ghcr.io/imgdup/kubectl-imgdup:0.1.0"
        );
        assert_eq!(normalize("localhost:5000/x"), "localhost:5000/x:latest");
        let images = BTreeMap::from([
            (
                "busybox".to_string(),
                ImageConfig::Binary("/bin/busybox".into()),
            ),
            (
                "ghcr.io/imgdup/kubectl-imgdup:0.1.0".to_string(),
                ImageConfig::Binary("/x".into()),
            ),
        ]);
        assert!(
            resolve(&images, "docker.io/library/busybox:1.36")
                .unwrap()
                .busybox
        );
        assert!(resolve(&images, "ghcr.io/imgdup/kubectl-imgdup:0.1.0").is_some());
        assert!(resolve(&images, "ghcr.io/imgdup/kubectl-imgdup:0.2.0").is_none());
        assert!(resolve(&images, "nginx").is_none());
    }
}
