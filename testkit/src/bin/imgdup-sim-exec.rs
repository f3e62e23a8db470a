//! The last step of a simulated container's start (test support, see
//! `testkit::apiserver::kubelet::sandbox`): chroot into the assembled root,
//! set the hostname, drop capabilities, set no_new_privs and the user, then
//! exec the command. Failures are written to `--status` (opened before the
//! chroot) and end with exit code 128, like a runtime's StartError.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use clap::Parser;
use rustix::thread::{
    CapabilitySet, CapabilitySets, remove_capability_from_bounding_set, set_capabilities,
    set_no_new_privs,
};

#[derive(Parser, Debug)]
#[command(name = "imgdup-sim-exec")]
struct Args {
    #[arg(long)]
    root: PathBuf,
    #[arg(long)]
    status: Option<PathBuf>,
    #[arg(long)]
    hostname: Option<String>,
    #[arg(long)]
    uid: Option<u32>,
    #[arg(long)]
    gid: Option<u32>,
    /// Comma-separated capability names to keep, `ALL`, or `none`.
    #[arg(long, default_value = "none")]
    caps: String,
    #[arg(long)]
    no_new_privs: bool,
    #[arg(long)]
    workdir: Option<String>,
    #[arg(long = "env")]
    env: Vec<String>,
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn keep_set(caps: &str) -> anyhow::Result<CapabilitySet> {
    if caps.eq_ignore_ascii_case("all") {
        return Ok(CapabilitySet::all());
    }
    let mut set = CapabilitySet::empty();
    for c in caps
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != "none")
    {
        let name = c.trim_start_matches("CAP_").to_ascii_uppercase();
        match CapabilitySet::from_name(&name) {
            Some(f) => set |= f,
            None => bail!("unknown capability {c}"),
        }
    }
    Ok(set)
}

fn run(a: &Args) -> anyhow::Result<std::convert::Infallible> {
    let keep = keep_set(&a.caps)?;
    if let Some(h) = &a.hostname {
        rustix::system::sethostname(h.as_bytes()).context("sethostname")?;
    }
    std::os::unix::fs::chroot(&a.root).with_context(|| format!("chroot {}", a.root.display()))?;
    std::env::set_current_dir("/").context("chdir /")?;
    for cap in CapabilitySet::all().iter() {
        if !keep.contains(cap) {
            // Capabilities the kernel does not know fail with EINVAL.
            let _ = remove_capability_from_bounding_set(cap);
        }
    }
    // Root keeps its bounding set after exec; a non-root uid keeps nothing.
    let cur = rustix::thread::capabilities(None).context("capget")?;
    set_capabilities(
        None,
        CapabilitySets {
            inheritable: CapabilitySet::empty(),
            ..cur
        },
    )
    .context("capset")?;
    if a.no_new_privs {
        set_no_new_privs(true).context("no_new_privs")?;
    }
    let mut cmd = Command::new(&a.command[0]);
    cmd.args(&a.command[1..]).env_clear();
    for kv in &a.env {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    if let Some(w) = &a.workdir {
        cmd.current_dir(w);
    }
    if let Some(g) = a.gid.or(a.uid.map(|_| 0)) {
        cmd.gid(g);
    }
    if let Some(u) = a.uid {
        cmd.uid(u);
    }
    let err = cmd.exec();
    let what = if a.command[0].contains('/') {
        format!("exec: \"{0}\": stat {0}: {err}", a.command[0])
    } else {
        format!(
            "exec: \"{}\": executable file not found in $PATH",
            a.command[0]
        )
    };
    bail!(
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {what}: unknown"
    )
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut status = args
        .status
        .as_ref()
        .and_then(|p| std::fs::OpenOptions::new().append(true).open(p).ok());
    match run(&args) {
        Ok(never) => match never {},
        Err(e) => {
            let msg = format!("{e:#}");
            match status.as_mut() {
                Some(f) => {
                    let _ = f.write_all(msg.as_bytes());
                }
                None => eprintln!("{msg}"),
            }
            ExitCode::from(128)
        }
    }
}
