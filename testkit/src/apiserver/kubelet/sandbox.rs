//! The container sandbox, built from util-linux tools and one small helper:
//!
//! ```text
//! [lab]  setpriv --pdeathsig KILL nsenter -t HOLDER -m -n -p -- setpriv --pdeathsig KILL \
//! [both]   unshare --mount --propagation private -- /bin/sh -c SCRIPT
//! SCRIPT:  mount a tmpfs root; bind /usr/lib (ro), /dev/null..., the image's
//!          binary, each volume (hostPath: rbind, ro when readOnly); remount
//!          the root ro for readOnlyRootFilesystem; then
//!          exec unshare --pid --fork --kill-child --uts --mount-proc=ROOT/proc -- \
//!               imgdup-sim-exec --root ROOT ... -- COMMAND ARGS
//! ```
//!
//! The helper chroots, sets the hostname, drops capabilities, sets
//! no_new_privs and the uid/gid, and execs the command, which is pid 1 of
//! its own pid namespace, like a real container: SIGTERM only reaches it if
//! it handles it, and when it exits everything in the container dies.

use std::path::PathBuf;

use super::volumes::NodeRoot;

/// Single-quotes for sh.
pub fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[derive(Debug, Clone)]
pub enum MountSource {
    /// rbind a path (as the script sees it); `dir` tells the target type.
    Bind {
        src: PathBuf,
        dir: bool,
    },
    Tmpfs,
}

#[derive(Debug, Clone)]
pub struct Mount {
    pub source: MountSource,
    pub dst: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Exec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub workdir: Option<String>,
    pub uid: Option<i64>,
    pub gid: Option<i64>,
    /// Capabilities kept (`ALL` for privileged).
    pub caps: Vec<String>,
    pub no_new_privs: bool,
    pub hostname: String,
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    pub node: NodeRoot,
    /// Host scratch dir of this container: `root/` (the mountpoint) and `status`.
    pub dir: PathBuf,
    /// In mount order (parents first).
    pub mounts: Vec<Mount>,
    pub read_only_root: bool,
    /// hostPID: no pid namespace; the node's /proc at /proc.
    pub host_pid: bool,
    pub helper: PathBuf,
    pub exec: Exec,
}

/// Host library dirs the binaries need, mirrored as they are (symlinks as
/// symlinks).
const LIB_DIRS: [&str; 5] = ["/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64"];

impl Sandbox {
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    pub fn status_file(&self) -> PathBuf {
        self.dir.join("status")
    }

    pub fn script(&self) -> String {
        let r = self.root().display().to_string();
        let mut s = String::from("set -eu\nexec 3>&2 2>>\"$IMGDUP_STATUS\"\n");
        s += &format!(
            "R={}\nmount -t tmpfs -o mode=0755,size=256m imgdup-sim-rootfs \"$R\"\ncd \"$R\"\n",
            q(&r)
        );
        s += "mkdir -p dev proc sys etc tmp usr run var\nchmod 1777 tmp\n";
        for d in LIB_DIRS {
            let p = std::path::Path::new(d);
            let rel = &d[1..];
            match std::fs::symlink_metadata(p) {
                Ok(m) if m.file_type().is_symlink() => {
                    let target = std::fs::read_link(p).unwrap_or_default();
                    s += &format!("ln -s {} {}\n", q(&target.display().to_string()), q(rel));
                }
                Ok(m) if m.is_dir() => {
                    s += &format!("mkdir -p {0}\nmount --rbind -o ro {1} {0}\n", q(rel), q(d))
                }
                _ => {}
            }
        }
        s += "for d in null zero full random urandom; do : > dev/$d; mount --bind /dev/$d dev/$d; done\n";
        s += "mkdir -p dev/shm dev/pts\nmount -t tmpfs -o mode=1777,size=64m shm dev/shm\n";
        s += "ln -s /proc/self/fd dev/fd; ln -s /proc/self/fd/0 dev/stdin; ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr\n";
        for m in &self.mounts {
            let dst = format!(".{}", m.dst);
            match &m.source {
                MountSource::Bind { src, dir } => {
                    if *dir {
                        s += &format!("mkdir -p {}\n", q(&dst));
                    } else {
                        s += &format!(
                            "mkdir -p \"$(dirname {0})\"; [ -e {0} ] || : > {0}\n",
                            q(&dst)
                        );
                    }
                    s += &format!(
                        "mount --rbind {} {}\n",
                        q(&src.display().to_string()),
                        q(&dst)
                    );
                }
                MountSource::Tmpfs => {
                    s += &format!(
                        "mkdir -p {0}\nmount -t tmpfs -o mode=1777 imgdup-sim-emptydir {0}\n",
                        q(&dst)
                    )
                }
            }
            if m.read_only {
                s += &format!("mount -o remount,bind,ro {}\n", q(&dst));
            }
        }
        if self.host_pid {
            s += "mount --rbind /proc proc\n";
        }
        if self.read_only_root {
            s += "mount -o remount,bind,ro \"$R\"\n";
        }
        s += "cd /\nexec 2>&3 3>&-\n";
        let mut inner = if self.host_pid {
            "exec unshare --uts -- ".to_string()
        } else {
            "exec unshare --pid --fork --kill-child --uts --mount-proc=\"$R/proc\" -- ".to_string()
        };
        inner += &q(&self.helper.display().to_string());
        inner += " --root \"$R\" --status \"$IMGDUP_STATUS\"";
        let e = &self.exec;
        inner += &format!(" --hostname {}", q(&e.hostname));
        if let Some(u) = e.uid {
            inner += &format!(" --uid {u}");
        }
        if let Some(g) = e.gid {
            inner += &format!(" --gid {g}");
        }
        inner += &format!(
            " --caps {}",
            q(&if e.caps.is_empty() {
                "none".into()
            } else {
                e.caps.join(",")
            })
        );
        if e.no_new_privs {
            inner += " --no-new-privs";
        }
        if let Some(w) = &e.workdir {
            inner += &format!(" --workdir {}", q(w));
        }
        for (k, v) in &e.env {
            inner += &format!(" --env {}", q(&format!("{k}={v}")));
        }
        inner += " --";
        for a in &e.argv {
            inner += &format!(" {}", q(a));
        }
        s += &inner;
        s.push('\n');
        s
    }

    /// The command to spawn (in its own process group).
    pub fn command(&self) -> tokio::process::Command {
        let mut argv: Vec<String> = vec!["setpriv".into(), "--pdeathsig".into(), "KILL".into()];
        if let NodeRoot::Lab { holder } = &self.node {
            argv.extend(
                [
                    "nsenter",
                    "-t",
                    &holder.to_string(),
                    "-m",
                    "-n",
                    "-p",
                    "--",
                    "setpriv",
                    "--pdeathsig",
                    "KILL",
                ]
                .map(String::from),
            );
        }
        argv.extend(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "/bin/sh",
                "-c",
            ]
            .map(String::from),
        );
        argv.push(self.script());
        let mut cmd = tokio::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("IMGDUP_STATUS", self.status_file())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .kill_on_drop(false);
        cmd
    }
}
