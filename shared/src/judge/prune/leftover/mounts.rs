//! Mounts: nothing is mounted at or under the root, no overlay takes a
//! layer from it, and no bind mount shows a part of it elsewhere.
//!
//! The node's own mount table is its pid 1's. Other mount namespaces
//! (containers) are read through one process each: their overlays name
//! node paths, and their bind mounts share the device and root fields.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{LeftoverError, at_or_under};
use crate::host::capped_read::read_capped_lossy;
use crate::host::view::HostView;

/// Upper bound on one `mountinfo` (a node with thousands of pods).
const MAX_MOUNTINFO: u64 = 64 * 1024 * 1024;

/// One line of `/proc/<pid>/mountinfo` (proc(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mount {
    pub id: u64,
    /// `major:minor`.
    pub dev: String,
    /// The mounted directory within its filesystem (a bind mount's source).
    pub root: PathBuf,
    pub mountpoint: PathBuf,
    pub fstype: String,
    pub source: String,
    pub super_options: String,
}

/// `\040`-style escapes of mountinfo (space, tab, newline, backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                out.push(d.iter().fold(0u8, |n, b| n.wrapping_mul(8) + (b - b'0')));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses mountinfo; malformed lines are skipped.
pub(super) fn parse(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Mount> {
    let (left, right) = line.split_once(" - ")?;
    let f: Vec<&str> = left.split(' ').collect();
    let r: Vec<&str> = right.splitn(3, ' ').collect();
    Some(Mount {
        id: f.first()?.parse().ok()?,
        dev: f.get(2)?.to_string(),
        root: PathBuf::from(unescape(f.get(3)?)),
        mountpoint: PathBuf::from(unescape(f.get(4)?)),
        fstype: r.first()?.to_string(),
        source: unescape(r.get(1)?),
        super_options: r.get(2).map(|s| s.to_string()).unwrap_or_default(),
    })
}

/// Splits on `sep` where it is not escaped with a backslash; escapes are
/// kept for the next split ([`drop_escapes`] removes them).
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let (mut parts, mut cur, mut escaped) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' => {
                cur.push(c);
                escaped = true;
            }
            _ if c == sep => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

/// `\\x` becomes `x`.
fn drop_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    out
}

/// An overlay's directories with their option names (`lowerdir`, ...).
pub(super) fn overlay_dirs(m: &Mount) -> Vec<(String, String)> {
    if m.fstype != "overlay" {
        return Vec::new();
    }
    let mut dirs = Vec::new();
    for option in split_unescaped(&unescape(&m.super_options), ',') {
        let Some((key, value)) = option.split_once('=') else {
            continue;
        };
        let several = matches!(key, "lowerdir" | "lowerdir+" | "datadir+");
        if !several && !matches!(key, "upperdir" | "workdir") {
            continue;
        }
        for dir in split_unescaped(value, ':').iter().filter(|d| !d.is_empty()) {
            dirs.push((key.to_string(), drop_escapes(dir)));
        }
    }
    dirs
}

/// Where the root lies in the filesystem holding it: that mount's id, its
/// device, and the root's path inside it.
type Holder = (u64, String, PathBuf);

/// Proves nothing mounts, overlays or bind-mounts the root at `path`, in
/// any mount namespace; says what was checked.
pub(super) fn unmounted(node: &HostView, path: &str) -> Result<String, LeftoverError> {
    let target = Path::new(path);
    let tables = mount_tables(node, path)?;
    let inside = holder(target, &tables[0].1);
    let mut seen = 0;
    for (node_paths, mounts) in &tables {
        for m in mounts {
            seen += 1;
            if let Some(what) = use_of(node, target, *node_paths, m, inside.as_ref()) {
                return Err(LeftoverError::Mounted {
                    path: path.into(),
                    id: m.id,
                    mountpoint: m.mountpoint.display().to_string(),
                    what,
                });
            }
        }
    }
    Ok(format!(
        "nothing is mounted under {path}, and no overlay or bind mount uses it ({seen} mounts in {} mount namespaces read)",
        tables.len()
    ))
}

/// The mount table of the node (pid 1's, first) and of every other mount
/// namespace, each read through one of its processes, with whether its
/// paths are the node's (the same root as pid 1).
fn mount_tables(node: &HostView, path: &str) -> Result<Vec<(bool, Vec<Mount>)>, LeftoverError> {
    let proc_root = node.procs.proc_root();
    let read = |pid: u32| {
        let file = proc_root.join(pid.to_string()).join("mountinfo");
        read_capped_lossy(&file, MAX_MOUNTINFO).map(|t| parse(&t))
    };
    let unreadable = |pid: u32, e: std::io::Error| LeftoverError::Unreadable {
        path: path.into(),
        what: format!("{}/{pid}/mountinfo", proc_root.display()),
        error: e.to_string(),
    };
    let node_mounts = read(1).map_err(|e| unreadable(1, e))?;
    let link =
        |pid: u32, name: &str| std::fs::read_link(proc_root.join(pid.to_string()).join(name)).ok();
    let node_root = link(1, "root");
    let mut namespaces = HashSet::new();
    let mut tables = vec![(true, node_mounts)];
    namespaces.insert(link(1, "ns/mnt"));
    for p in node.procs.all() {
        let Some(ns) = link(p.pid, "ns/mnt") else {
            continue;
        };
        if namespaces.insert(Some(ns)) {
            let same_root = link(p.pid, "root") == node_root;
            match read(p.pid) {
                Ok(mounts) => tables.push((same_root, mounts)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(unreadable(p.pid, e)),
            }
        }
    }
    Ok(tables)
}

/// The filesystem holding the root, and the root's path inside it, as the
/// mount above it shows it (a mount at the root itself hides it).
fn holder(target: &Path, node_mounts: &[Mount]) -> Option<Holder> {
    let m = node_mounts
        .iter()
        .filter(|m| at_or_under(target, &m.mountpoint) && m.mountpoint != target)
        .max_by_key(|m| m.mountpoint.components().count())?;
    let rest = target.strip_prefix(&m.mountpoint).unwrap_or(target);
    Some((m.id, m.dev.clone(), m.root.join(rest)))
}

/// How mount `m` uses the root, if it does: mounted under it, an overlay
/// layer inside it, or a bind mount of a part of it.
fn use_of(
    node: &HostView,
    target: &Path,
    node_paths: bool,
    m: &Mount,
    inside: Option<&Holder>,
) -> Option<String> {
    if node_paths && at_or_under(&m.mountpoint, target) {
        let itself = inside.is_some_and(|(_, dev, root)| {
            m.mountpoint == target && m.dev == *dev && m.root == *root
        });
        return Some(if itself {
            "it is bind-mounted onto itself (dockerd does that to its root and undoes it on a clean shutdown; this one was left behind)".to_string()
        } else {
            format!("{} {} is mounted under it", m.fstype, m.source)
        });
    }
    for (key, dir) in overlay_dirs(m) {
        let canonical = node.canonical(&dir);
        if at_or_under(Path::new(&dir), target) || at_or_under(Path::new(&canonical), target) {
            return Some(format!("an overlay mount has {key}={dir} inside it"));
        }
    }
    let (holder_id, dev, root) = inside?;
    let is_holder = node_paths && m.id == *holder_id;
    if !is_holder && m.dev == *dev && at_or_under(&m.root, root) {
        let part = target.join(m.root.strip_prefix(root).unwrap_or(Path::new("")));
        return Some(format!(
            "a bind mount shows {} of it elsewhere",
            part.display()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 254:0 /tmp/lab/root/var/lib /var/lib rw,relatime - ext4 /dev/vda rw
31 30 0:50 / /var/lib/docker/with\\040space rw - tmpfs tmpfs rw
32 22 0:51 / /run/o rw - overlay overlay rw,lowerdir=/var/lib/docker/image:/l\\:2,upperdir=/run/u,workdir=/run/w
bad line
";

    #[test]
    fn parses_mountinfo_with_escapes_and_overlay_options() {
        let mounts = parse(INFO);
        assert_eq!(mounts.len(), 4);
        assert_eq!(mounts[1].root, Path::new("/tmp/lab/root/var/lib"));
        assert_eq!(
            mounts[2].mountpoint,
            Path::new("/var/lib/docker/with space")
        );
        assert_eq!(
            overlay_dirs(&mounts[3]),
            vec![
                ("lowerdir".into(), "/var/lib/docker/image".into()),
                ("lowerdir".into(), "/l:2".into()),
                ("upperdir".into(), "/run/u".into()),
                ("workdir".into(), "/run/w".into()),
            ]
        );
        assert!(overlay_dirs(&mounts[2]).is_empty());
    }
}
