//! `cri-dockerd`: test stand-in for Mirantis cri-dockerd (see
//! `testkit::cri_standin`). A real CRI server in front of a real dockerd.

use std::process::ExitCode;

use clap::Parser;
use testkit::cri_standin::{Args, run};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cri-dockerd stand-in: {e:#}");
            ExitCode::FAILURE
        }
    }
}
