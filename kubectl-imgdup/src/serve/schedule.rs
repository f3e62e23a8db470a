//! When the next scan starts: every interval ±10 %, never while one runs.
//!
//! The jitter keeps a DaemonSet's pods from scanning in lockstep after a
//! rollout (every node's disks and the runtimes' APIs busy at once). Scans run
//! one after the other on one thread, so they cannot overlap: a scan longer
//! than the interval delays the next one instead of stacking a second.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// ±10 % around the interval.
pub const JITTER: f64 = 0.10;

/// The wait before the scan after one that started at `started`: the
/// interval scaled by `1 ± JITTER` (`unit` in `[0, 1)` picks where), counted
/// from that scan's start, but never before `now` (the scan's end).
pub fn next_start(started: Instant, now: Instant, interval: Duration, unit: f64) -> Instant {
    let factor = 1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0);
    (started + interval.mul_f64(factor)).max(now)
}

/// Runs `scan` now and then at each [`next_start`] until `stop` says so (a
/// message, or its sender dropped). `scan` runs on this thread only.
pub fn run(interval: Duration, stop: &Receiver<()>, mut scan: impl FnMut()) {
    loop {
        let started = Instant::now();
        scan();
        let next = next_start(started, Instant::now(), interval, fastrand::f64());
        match stop.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Err(RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, mpsc};

    #[test]
    fn the_wait_stays_within_ten_percent_of_the_interval() {
        let t0 = Instant::now();
        let interval = Duration::from_secs(600);
        assert_eq!(
            next_start(t0, t0, interval, 0.0),
            t0 + Duration::from_secs(540)
        );
        assert_eq!(
            next_start(t0, t0, interval, 0.5),
            t0 + Duration::from_secs(600)
        );
        let top = next_start(t0, t0, interval, 0.999_999);
        assert!(top > t0 + Duration::from_secs(659) && top <= t0 + Duration::from_secs(660));
        for _ in 0..1000 {
            let at = next_start(t0, t0, interval, fastrand::f64()) - t0;
            assert!((540.0..=660.0).contains(&at.as_secs_f64()), "{at:?}");
        }
    }

    #[test]
    fn a_scan_longer_than_the_interval_delays_the_next_instead_of_overlapping() {
        let t0 = Instant::now();
        let ended = t0 + Duration::from_secs(900);
        let next = next_start(t0, ended, Duration::from_secs(600), 0.5);
        assert_eq!(next, ended, "starts when the slow one ended, not before");
    }

    #[test]
    fn scans_never_overlap_and_follow_the_interval() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut starts = Vec::new();
        let (tx, rx) = mpsc::channel();
        let (r, m) = (running.clone(), most.clone());
        // Each scan takes 30 ms, longer than the 20 ms interval: back to back.
        run(Duration::from_millis(20), &rx, || {
            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            starts.push(Instant::now());
            std::thread::sleep(Duration::from_millis(30));
            r.fetch_sub(1, Ordering::SeqCst);
            if starts.len() == 4 {
                tx.send(()).unwrap();
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1, "two scans ran at once");
        assert_eq!(starts.len(), 4, "the stop came after the 4th scan");
        for pair in starts.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(30), "{starts:?}");
        }
    }

    #[test]
    fn a_short_scan_waits_out_the_jittered_interval_and_stops_at_once() {
        let (tx, rx) = mpsc::channel::<()>();
        let mut starts = Vec::new();
        let t0 = Instant::now();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(750));
            drop(tx);
        });
        run(Duration::from_millis(200), &rx, || {
            starts.push(Instant::now())
        });
        let stopped = t0.elapsed();
        stopper.join().unwrap();
        for pair in starts.windows(2) {
            let gap = (pair[1] - pair[0]).as_secs_f64();
            assert!((0.179..0.260).contains(&gap), "gap {gap} s");
        }
        assert!(
            (3..=5).contains(&starts.len()),
            "{} scans in 750 ms",
            starts.len()
        );
        assert!(
            stopped < Duration::from_millis(900),
            "stop took {stopped:?}"
        );
    }
}
