//! `imgdup-gen-store`: writes a synthetic node root (an offline Docker store
//! and an offline k3s containerd store sharing some images) for scale tests
//! and `bench/node-scan.sh`. See `testkit::gen_store`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use testkit::gen_store::{Options, generate};

#[derive(Parser)]
#[command(
    name = "imgdup-gen-store",
    about = "Write a synthetic node root: offline Docker + k3s containerd stores with duplicates"
)]
struct Args {
    /// Host root to create (absent or empty).
    #[arg(long)]
    out: PathBuf,
    /// Docker images to write.
    #[arg(long)]
    images: usize,
    /// Share of the Docker images containerd holds too (0.0-1.0).
    #[arg(long, default_value_t = 0.3)]
    dup_ratio: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Size of the one file each layer holds.
    #[arg(long, default_value_t = 4096)]
    layer_bytes: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let opts = Options {
        out: args.out,
        images: args.images,
        dup_ratio: args.dup_ratio,
        seed: args.seed,
        layer_bytes: args.layer_bytes,
    };
    let started = Instant::now();
    match generate(&opts) {
        Ok(summary) => {
            println!(
                "imgdup-gen-store: {}: {summary}; {:.2} s",
                opts.out.display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("imgdup-gen-store: {e:#}");
            ExitCode::FAILURE
        }
    }
}
