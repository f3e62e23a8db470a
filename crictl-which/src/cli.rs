//! Flags: clap's raw `Args`, then the node's [`HostFlags`] and the output.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use imgdup::chain::open::HostFlags;

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

impl Args {
    /// The node's flags and the output format; the node is opened by
    /// [`HostView::open`](imgdup::host::view::HostView::open).
    pub fn into_config(self) -> (HostFlags, Output) {
        let flags = HostFlags {
            host_root: self.host_root,
            proc_dir: self.proc_dir,
            runtime_endpoint: self.runtime_endpoint,
            image_endpoint: self.image_endpoint,
            crictl_config: self.config,
            timeout: self.timeout,
            offline: self.offline,
        };
        (flags, self.output)
    }
}
