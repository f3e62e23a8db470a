//! Flags: clap's raw structs, validated into what each command needs.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use imgdup::chain::endpoint::{self, CrictlInputs};
use imgdup::chain::open::HostFlags;
use imgdup::host::view::HostView;

/// Find container images stored twice on Kubernetes nodes, prove it from the
/// runtimes themselves, and show the bytes you get back.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-imgdup",
    bin_name = "kubectl imgdup",
    version,
    max_term_width = 100,
    after_help = crate::examples::CLUSTER
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `kubectl imgdup [NODE...]`: every node, one short-lived agent pod each.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Nodes to scan [default: all, or those matching -l]
    #[arg(value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Only nodes matching this label selector
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Agent pods at a time
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub concurrency: usize,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Exit 3 when any image is stored twice
    #[arg(long)]
    pub fail_on_duplicates: bool,
    /// Print the pods it would create (-o yaml); contacts no cluster
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub contexts: crate::contexts::ContextsArgs,
}

/// How to reach the cluster, as kubectl's own flags: global, so they may
/// come before or after a subcommand (`kubectl imgdup --context prod cleanup`).
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// kubeconfig context to use (the scan and top: several, comma-separated)
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]
    #[arg(long, value_name = "FILE", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace for the agent pods [default: the context's, else "default"]
    #[arg(short = 'n', long, value_name = "NAMESPACE", global = true)]
    pub namespace: Option<String>,
    /// Report the API requests made, per node and by verb, on stderr
    /// (`-v`, or kubectl's `-v=N`: any level above 0)
    #[arg(short = 'v', long = "verbose", value_name = "LEVEL", num_args = 0..=1,
          require_equals = true, default_missing_value = "1", global = true)]
    pub verbose: Option<u8>,
    /// Give up on an API server that has not accepted the connection (TCP
    /// and TLS) within DUR
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration,
          default_value = "30s", global = true)]
    pub connect_timeout: Duration,
}

/// The agent pods: image and deadlines.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// Agent image (a FROM-scratch image holding this binary)
    #[arg(long, value_name = "IMG", default_value = concat!("ghcr.io/imgdup/kubectl-imgdup:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// Each node's scan deadline (the pod's activeDeadlineSeconds adds 60 s)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "60s")]
    pub timeout: Duration,
    /// How long a pod may stay Pending before its node is `unknown`
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "30s")]
    pub pending_timeout: Duration,
    /// Leave the agent pods for debugging (they still end at their deadline)
    #[arg(long)]
    pub keep_pods: bool,
    /// Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath, requires = "image")]
    pub agent_binary: Option<PathBuf>,
}

/// `kubectl imgdup which NODE`.
#[derive(Debug, Args)]
pub struct WhichArgs {
    /// The node whose chain to show
    #[arg(value_name = "NODE")]
    pub node: String,
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = ChainOutput::Text)]
    pub output: ChainOutput,
}

/// `kubectl imgdup cleanup`: every namespace, unless -n names one.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// List what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChainOutput {
    Text,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan one node: its stores, a verdict per image, and the reclaimable bytes
    #[command(after_help = crate::examples::NODE)]
    Node(NodeArgs),
    /// Remove the extra copies of duplicated images, with guards and a measured proof
    #[command(after_help = crate::examples::PRUNE)]
    Prune(PruneArgs),
    /// The fleet view: duplicated images across the nodes, biggest first, and leftover stores
    #[command(after_help = crate::examples::TOP)]
    Top(crate::top::TopArgs),
    /// Scan this node every interval; serve /metrics (Prometheus), /healthz and /report
    #[command(after_help = crate::examples::SERVE)]
    Serve(crate::serve::ServeArgs),
    /// Show crictl's endpoint chain on one node, hop by hop (crictl-which, run there)
    #[command(after_help = crate::examples::WHICH)]
    Which(WhichArgs),
    /// Delete every agent pod this tool left, in any namespace (by label)
    #[command(after_help = crate::examples::CLEANUP)]
    Cleanup(CleanupArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = crate::examples::COMPLETION)]
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The node scan inside an agent pod: prints the NodeReport as JSON
    #[command(hide = true)]
    Agent(AgentFlags),
    /// One node's approved prune inside its pod: prints the PruneReport as JSON
    #[command(hide = true)]
    PruneAgent(PruneAgentFlags),
    /// Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR
    #[command(hide = true)]
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// kubectl's plugin completion: `kubectl_complete-imgdup` runs this
    #[command(name = "__complete", hide = true, disable_help_flag = true)]
    Complete {
        /// The words after `kubectl imgdup`; the last one is being completed
        #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
        words: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct AgentFlags {
    #[command(flatten)]
    pub scan: ScanFlags,
    /// Print crictl's chain (`crictl-which -o json`) instead of the NodeReport
    #[arg(long)]
    pub chain: bool,
}

#[derive(Debug, Args)]
pub struct NodeArgs {
    #[command(flatten)]
    pub scan: LocalScan,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Exit 3 when any image is stored twice
    #[arg(long)]
    pub fail_on_duplicates: bool,
}

/// `kubectl imgdup prune`: on the nodes through prune pods, or `--local`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Nodes to prune [default: all, or those matching -l]
    #[arg(value_name = "NODE", conflicts_with = "local")]
    pub nodes: Vec<String>,
    /// Only nodes matching this label selector
    #[arg(
        short = 'l',
        long = "selector",
        value_name = "SELECTOR",
        conflicts_with = "local"
    )]
    pub selector: Option<String>,
    /// Prune the node this command runs on (in a debug pod: --host-root /host)
    #[arg(long)]
    pub local: bool,
    #[command(flatten)]
    pub flags: ScanFlags,
    #[command(flatten)]
    pub pods: PrunePods,
    /// Print the plan (-o text: commands for a person; -o yaml: the prune
    /// pods), and remove nothing
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Remove without asking (without it: ask on a terminal, else remove nothing)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Keep images whose tag, repo digest or id matches this glob (repeatable)
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Remove this whole offline store root (a runtime-switch leftover, e.g.
    /// /var/lib/docker) once nothing on the node can be using it (repeatable)
    #[arg(long, value_name = "PATH")]
    pub remove_leftover_store: Vec<String>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = PlanOutput::Text)]
    pub output: PlanOutput,
}

/// The pods of a cluster prune (the scans before and after, and the prune pods).
#[derive(Debug, Clone, Args)]
pub struct PrunePods {
    /// Agent image (a FROM-scratch image holding this binary)
    #[arg(long, value_name = "IMG", default_value = concat!("ghcr.io/imgdup/kubectl-imgdup:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// How long a pod may stay Pending before its node is `unknown`
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "30s")]
    pub pending_timeout: Duration,
    /// Leave the pods for debugging (they still end at their deadline)
    #[arg(long)]
    pub keep_pods: bool,
    /// Pods at a time
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub concurrency: usize,
}

/// The hidden `prune-agent`: one node's approved prune, inside its pod.
#[derive(Debug, Args)]
pub struct PruneAgentFlags {
    #[command(flatten)]
    pub scan: ScanFlags,
    /// The node's PruneJob, as JSON
    #[arg(long, value_name = "JSON")]
    pub job: String,
}

/// Scanning the node this command runs on (in a debug pod: `--host-root /host`).
#[derive(Debug, Args)]
pub struct LocalScan {
    /// Scan the node this runs on (`kubectl imgdup [NODE...]` scans the cluster)
    #[arg(long, required = true)]
    pub local: bool,
    #[command(flatten)]
    pub flags: ScanFlags,
}

/// Where the node's files are and how to reach its runtimes.
#[derive(Debug, Clone, Args)]
pub struct ScanFlags {
    /// Directory that stands for the node's /
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub host_root: PathBuf,
    /// procfs to scan for runtime processes [default: <host-root>/proc]
    #[arg(long = "proc", value_name = "DIR")]
    pub proc_dir: Option<PathBuf>,
    /// Node name in the report [default: the node's /etc/hostname]
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// CRI runtime endpoint, as crictl's -r (env CONTAINER_RUNTIME_ENDPOINT)
    #[arg(short = 'r', long = "runtime-endpoint", value_name = "URL")]
    pub runtime_endpoint: Option<String>,
    /// CRI image endpoint, as crictl's -i (env IMAGE_SERVICE_ENDPOINT)
    #[arg(short = 'i', long = "image-endpoint", value_name = "URL")]
    pub image_endpoint: Option<String>,
    /// crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)
    #[arg(long = "crictl-config", value_name = "FILE")]
    pub crictl_config: Option<PathBuf>,
    /// Deadline for each dial and API call, e.g. 2s
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Wide,
    Json,
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanOutput {
    Text,
    Json,
    Yaml,
}

/// A checked local scan: the node view and crictl's endpoint resolution.
pub struct Scan {
    pub node: HostView,
    pub node_name: String,
    pub inputs: CrictlInputs,
    pub resolution: endpoint::Resolution,
}

impl LocalScan {
    pub fn into_scan(self) -> Result<Scan> {
        self.flags.into_scan()
    }
}

impl ScanFlags {
    pub fn into_scan(self) -> Result<Scan> {
        let opened = HostView::open(HostFlags {
            host_root: self.host_root,
            proc_dir: self.proc_dir,
            runtime_endpoint: self.runtime_endpoint,
            image_endpoint: self.image_endpoint,
            crictl_config: self.crictl_config,
            timeout: self.timeout,
            offline: false,
        })?;
        let node_name = self.node_name.unwrap_or_else(|| opened.view.name());
        Ok(Scan {
            node: opened.view,
            node_name,
            inputs: opened.inputs,
            resolution: opened.resolution,
        })
    }
}
