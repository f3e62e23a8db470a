//! The shell script that gives one case its own mount namespace inside the
//! node (an overlay on `/etc` and crictl's directory, `/run` rebuilt as a
//! tmpfs of bind mounts, the case's sockets put in place), then runs crictl
//! and crictl-which there side by side; and the reading back of what they
//! printed. The namespace is private so the shared node never changes.

use std::collections::BTreeSet;
use std::path::Path;

use super::cases::{Case, DEFAULT_SOCKETS, Etc, Exe, Sock};
use super::compare::{Outcome, Run};
use super::node::Node;
use super::{CRICTL, TIMEOUT};
use crate::util::{bin, stderr};

/// Single-quoted for sh.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The shell helpers every case script starts with.
const PRELUDE: &str = r#"set -eu
# rebuild DIR SKIP...: DIR becomes a tmpfs of bind mounts of its entries
# (minus SKIP), so this namespace alone can add and remove entries.
rebuild() {
  d=$1; shift; o=$C/old$(printf %s "$d" | tr / _)
  mkdir -p "$o"; mount --rbind "$d" "$o"; mount -t tmpfs -o mode=755 tmpfs "$d"
  for e in "$o"/* "$o"/.[!.]*; do
    { [ -e "$e" ] || [ -L "$e" ]; } || continue
    n=${e##*/}
    for s in "$@"; do [ "$n" = "$s" ] && continue 2; done
    if [ -L "$e" ]; then ln -s "$(readlink "$e")" "$d/$n"
    elif [ -d "$e" ]; then mkdir -p "$d/$n"; mount --rbind "$e" "$d/$n"
    else : >"$d/$n"; mount --bind "$e" "$d/$n"; fi
  done
}
# overlay DIR: a writable layer over DIR for this namespace.
overlay() {
  o=$C/ovl$(printf %s "$1" | tr / _); mkdir -p "$o"; mount -t tmpfs tmpfs "$o"
  mkdir "$o/u" "$o/w"; mount -t overlay overlay -o "lowerdir=$1,upperdir=$o/u,workdir=$o/w" "$1"
}
# run NAME CMD...: CMD's stdout, stderr and exit code in $C/NAME.*
run() { n=$1; shift; set +e; "$@" >"$C/$n.out" 2>"$C/$n.err"; echo $? >"$C/$n.rc"; set -e; }
"#;

impl Case {
    /// The script that sets the case up in a private mount namespace, then
    /// runs crictl and crictl-which in it.
    fn script(&self, node: &Node, dir: &Path) -> String {
        let fill = |s: &str| node.fill(s, dir);
        let mut sh = format!("C={}\n{PRELUDE}", q(&dir.display().to_string()));
        let mut line = |l: String| {
            sh.push_str(&l);
            sh.push('\n');
        };
        line("overlay /etc".into());
        match self.etc {
            Etc::AsIs => {}
            Etc::Missing => line("rm -rf /etc/crictl.yaml".into()),
            Etc::Text(_) => {
                line("rm -rf /etc/crictl.yaml; cp \"$C/etc.yaml\" /etc/crictl.yaml".into())
            }
            Etc::Link => {
                line("rm -rf /etc/crictl.yaml; ln -s \"$C/linked.yaml\" /etc/crictl.yaml".into())
            }
            Etc::Dangling => {
                line("rm -rf /etc/crictl.yaml; ln -s \"$C/nowhere.yaml\" /etc/crictl.yaml".into())
            }
            Etc::Dir => line("rm -rf /etc/crictl.yaml; mkdir /etc/crictl.yaml".into()),
        }
        match self.exe {
            Exe::AsIs => {}
            Exe::BesideLink(_) => {
                line("overlay /usr/local/bin; cp \"$C/exe.yaml\" /usr/local/bin/crictl.yaml".into())
            }
            Exe::InRealDir(_) => line(format!(
                "R=$(dirname \"$(readlink -f {CRICTL})\"); overlay \"$R\"; cp \"$C/exe.yaml\" \"$R/crictl.yaml\""
            )),
            Exe::Copied(_) => line(format!(
                "B=$(readlink -f {CRICTL}); overlay /usr/local/bin; rm {CRICTL}; cp \"$B\" {CRICTL}; cp \"$C/exe.yaml\" /usr/local/bin/crictl.yaml"
            )),
        }
        if let Some(socks) = self.defaults {
            let changed = |i: usize| !matches!(socks[i], Sock::AsIs);
            let skip = if changed(2) { "cri-dockerd.sock" } else { "" };
            line(format!("rebuild /run {skip}"));
            for (i, dir, name) in [
                (0, "/run/containerd", "containerd.sock"),
                (1, "/run/crio", "crio.sock"),
            ] {
                if changed(i) {
                    line(format!(
                        "if [ -d {dir} ]; then rebuild {dir} {name}; else mkdir {dir}; fi"
                    ));
                }
            }
            for (path, sock) in DEFAULT_SOCKETS.iter().zip(socks) {
                let real = |ep| node.socket(ep).unwrap().to_string();
                match sock {
                    Sock::AsIs | Sock::Absent => {}
                    // The old /run stays reachable under $C/old_run.
                    Sock::Bind(ep) => line(format!(
                        ": >{path}; mount --bind \"$C/old_run{}\" {path}",
                        real(ep).strip_prefix("/run").expect("sockets live in /run")
                    )),
                    Sock::Link(ep) => line(format!("ln -s {} {path}", real(ep))),
                    Sock::Dead => line(format!(": >{path}; mount --bind \"$C/dead.sock\" {path}")),
                    Sock::Dangling => line(format!("ln -s \"$C/nowhere.sock\" {path}")),
                }
            }
        }
        line("cd \"$C\"".into());
        // No crictl variable is set here: `node.lab.exec` cleared them.
        for (k, v) in &self.env {
            line(format!("export {k}={}", q(&fill(v))));
        }
        let args: Vec<String> = self.args.iter().map(|a| q(&fill(a))).collect();
        let args = args.join(" ");
        let crictl = format!("{CRICTL} --timeout {TIMEOUT} --max-retries 0 {args}");
        line(format!("run version {crictl} --debug version"));
        line(format!("run images {crictl} --debug images -q"));
        line(format!(
            "if [ \"$(cat \"$C/version.rc\")\" = 0 ]; then run info {crictl} info; else run info true; fi"
        ));
        line(format!(
            "run which {} -o json -t {TIMEOUT} {args}",
            bin().display()
        ));
        // Which socket each known path is, as this namespace sees it.
        let paths: BTreeSet<&str> = DEFAULT_SOCKETS
            .iter()
            .copied()
            .chain(node.live.iter().chain(&node.non_cri).map(String::as_str))
            .collect();
        line(format!(
            "for p in {}; do i=$(stat -L -c %d:%i \"$p\" 2>/dev/null) && echo \"$p $i\"; done >\"$C/inodes\"",
            paths.into_iter().collect::<Vec<_>>().join(" ")
        ));
        sh
    }

    /// Writes the case's files, runs it in the node and collects both sides.
    pub(super) fn run(&self, node: &Node, dir: &Path) -> Result<Outcome, String> {
        std::fs::create_dir_all(dir).unwrap();
        drop(std::os::unix::net::UnixListener::bind(dir.join("dead.sock")).unwrap());
        for (name, text) in &self.files {
            std::fs::write(dir.join(name), node.fill(text, dir)).unwrap();
        }
        if let Etc::Text(t) = self.etc {
            std::fs::write(dir.join("etc.yaml"), node.fill(t, dir)).unwrap();
        }
        if let Exe::BesideLink(t) | Exe::InRealDir(t) | Exe::Copied(t) = self.exe {
            std::fs::write(dir.join("exe.yaml"), node.fill(t, dir)).unwrap();
        }
        let script = self.script(node, dir);
        let out = node.lab.exec(
            Path::new("unshare"),
            &["--mount", "--propagation", "private", "sh", "-c", &script],
        );
        if !out.status.success() {
            return Err(format!(
                "the case script failed ({}): {}",
                out.status,
                stderr(&out)
            ));
        }
        let read = |name: &str| {
            let file = |ext: &str| {
                std::fs::read_to_string(dir.join(format!("{name}.{ext}")))
                    .map_err(|e| format!("{name}.{ext}: {e}"))
            };
            Ok::<_, String>(Run {
                rc: file("rc")?.trim().parse().map_err(|e| format!("{e}"))?,
                out: file("out")?,
                err: file("err")?,
            })
        };
        Ok(Outcome {
            version: read("version")?,
            images: read("images")?,
            info: read("info")?,
            which: read("which")?,
            inodes: std::fs::read_to_string(dir.join("inodes"))
                .map_err(|e| format!("inodes: {e}"))?
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(p, i)| (p.to_string(), i.to_string()))
                .collect(),
        })
    }
}
