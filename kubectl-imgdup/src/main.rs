//! `kubectl imgdup`: is this image stored twice on my nodes, and what do I get back?
//!
//! This release ships the flag surface only; the node scan and the cluster
//! fan-out land on top of the `imgdup` library (see the README's roadmap).

use std::process::ExitCode;

use clap::Parser;

/// Find container images stored twice on Kubernetes nodes, prove it from the
/// runtimes themselves, and show the bytes you get back.
///
/// Until the scan lands, `crictl-which` (shipped alongside) shows which runtime
/// chain and store crictl really uses on a node.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-imgdup",
    bin_name = "kubectl imgdup",
    version,
    arg_required_else_help = true
)]
struct Args {}

fn main() -> ExitCode {
    let _args = Args::parse();
    ExitCode::SUCCESS
}
