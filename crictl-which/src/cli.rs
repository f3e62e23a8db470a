//! Flags, parsed in two stages: clap's raw `Args`, then a validated `Config`
//! before any I/O.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use imgdup::chain::endpoint::{self, CrictlInputs};
use imgdup::host::root::HostRoot;

/// Show which runtime, daemon chain and on-disk store crictl really talks to.
///
/// Resolves crictl's endpoint exactly as crictl does (flags, then
/// CONTAINER_RUNTIME_ENDPOINT / IMAGE_SERVICE_ENDPOINT, then crictl.yaml, then
/// its default list), follows it hop by hop down to the directory on disk,
/// and lists the runtimes on the node that are not on that chain.
#[derive(Debug, Parser)]
#[command(
    name = "crictl-which",
    version,
    max_term_width = 100,
    after_help = crate::examples::WHICH
)]
pub struct Args {
    /// CRI runtime endpoint, as crictl's -r (env CONTAINER_RUNTIME_ENDPOINT)
    #[arg(short = 'r', long = "runtime-endpoint", value_name = "URL")]
    runtime_endpoint: Option<String>,
    /// CRI image endpoint, as crictl's -i (env IMAGE_SERVICE_ENDPOINT)
    #[arg(short = 'i', long = "image-endpoint", value_name = "URL")]
    image_endpoint: Option<String>,
    /// crictl config file, as crictl's -c (env CRI_CONFIG_FILE; default /etc/crictl.yaml)
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory that stands for the node's / (e.g. /host in a debug pod)
    #[arg(long, value_name = "DIR", default_value = "/")]
    host_root: PathBuf,
    /// procfs to scan for runtime processes [default: <host-root>/proc]
    #[arg(long = "proc", value_name = "DIR")]
    proc_dir: Option<PathBuf>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Deadline for each dial and API call, e.g. 2s or 500ms [default: crictl's: config timeout, else 2s]
    #[arg(short = 't', long, value_name = "DUR", value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
    /// Never dial a socket: read processes, config files and defaults only
    #[arg(long)]
    offline: bool,
    /// Print a shell completion script and exit
    #[arg(long, value_name = "SHELL", hide = true)]
    pub completions: Option<clap_complete::Shell>,
    /// Print the man page (roff) and exit
    #[arg(long, hide = true)]
    pub man: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
    Yaml,
}

/// Everything the run needs, checked.
pub struct Config {
    pub host: HostRoot,
    pub proc_dir: PathBuf,
    pub inputs: CrictlInputs,
    pub output: Output,
    pub offline: bool,
}

impl Args {
    pub fn into_config(self) -> Result<Config> {
        let host_root = std::fs::canonicalize(&self.host_root).with_context(|| {
            format!(
                "--host-root {}: no such directory",
                self.host_root.display()
            )
        })?;
        let host = HostRoot::new(host_root);
        let proc_dir = self.proc_dir.unwrap_or_else(|| host.root().join("proc"));
        let crictl_dir = endpoint::find_crictl_dir(&host);
        let inputs = CrictlInputs {
            runtime_flag: self.runtime_endpoint,
            image_flag: self.image_endpoint,
            config_flag: self.config,
            timeout_flag: self.timeout,
            crictl_dir,
            ..Default::default()
        }
        .with_process_env();
        Ok(Config {
            host,
            proc_dir,
            inputs,
            output: self.output,
            offline: self.offline,
        })
    }
}
