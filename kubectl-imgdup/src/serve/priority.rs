//! Light on the node: `serve` scans at idle I/O priority, nice 19, on one
//! thread, so the node's workloads always come first.
//!
//! Both priorities are per thread on Linux and inherited by threads created
//! later, so they are set first, on the main thread, before any runtime or
//! pool starts. `ioprio_set` goes through the small `ioprio` crate: the
//! workspace forbids `unsafe`, and neither std nor rustix wraps that
//! syscall. The idle class only counts under the BFQ (or old CFQ) I/O
//! scheduler; with `none`/`mq-deadline` the nice value is what remains.

use std::time::Duration;

/// How the scan was throttled, for the log line at start.
pub struct Applied(pub Vec<String>);

/// Lowers this process's priorities and caps the scan's threads, unless
/// `full` (`--full-priority`). A priority that cannot be set is logged and
/// skipped: a slower-to-yield scan is still a scan.
pub fn apply(full: bool) -> Applied {
    if full {
        return Applied(vec![
            "full priority (--full-priority): normal nice and I/O class, all threads".into(),
        ]);
    }
    let mut done = Vec::new();
    match rustix::process::setpriority_process(None, 19) {
        Ok(()) => done.push("nice 19".to_string()),
        Err(e) => done.push(format!("nice unchanged ({e})")),
    }
    let idle = ioprio::Priority::new(ioprio::Class::Idle);
    match ioprio::set_priority(ioprio::Target::Process(ioprio::Pid::from_raw(0)), idle) {
        Ok(()) => done.push("I/O class idle".to_string()),
        Err(e) => done.push(format!("I/O class unchanged ({e})")),
    }
    // The parallel parts of a scan: rayon (Docker's layer files), the du walk's
    // helpers, and the runtime's blocking pool (set where the runtime is built).
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .is_ok();
    let walk = imgdup::host::du::limit_walk_threads(1);
    done.push(if rayon && walk {
        "1 scan thread".into()
    } else {
        "scan threads not capped (already started)".into()
    });
    Applied(done)
}

/// Threads the scan's runtime may use for blocking work (offline stores).
pub fn blocking_threads(full: bool) -> usize {
    if full { 4 } else { 1 }
}

/// Keeps idle blocking threads briefly: a scan every 10 minutes need not hold one.
pub const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(5);
