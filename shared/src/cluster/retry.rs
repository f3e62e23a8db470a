//! Retries for API calls: an overloaded or restarting API server answers
//! 429 (with Retry-After), 5xx, or drops the connection; a cluster-wide run
//! must ride that out without turning it into a request storm.
//!
//! Capped exponential backoff with jitter, Retry-After honoured (capped), and
//! a fixed number of attempts, so the extra load per call is bounded.

use std::future::Future;
use std::time::Duration;

/// How hard to retry one call.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base: Duration,
    pub max_backoff: Duration,
    /// The longest Retry-After obeyed: a server asking for minutes gets
    /// `max_backoff` instead, so `--timeout` still bounds the run.
    pub max_retry_after: Duration,
    /// Each attempt's own deadline, so a server that never answers cannot hang a run.
    pub call_timeout: Duration,
    /// Retry a call that got no answer at all (refused, reset, TLS, timeout).
    /// Off for the first contact (preflight): a server that is not there
    /// fails at once instead of after every attempt's timeout.
    pub retry_unanswered: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            call_timeout: Duration::from_secs(30),
            retry_unanswered: true,
        }
    }
}

/// What one call ended as, after its retries.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Api(#[from] kube::Error),
    #[error("the API server did not answer within {0:?}")]
    Timeout(Duration),
}

impl CallError {
    /// The HTTP status of an API answer, if the failure was one.
    pub fn code(&self) -> Option<u16> {
        match self {
            CallError::Api(kube::Error::Api(status)) => Some(status.code),
            _ => None,
        }
    }
}

/// Whether the server never answered: no HTTP status came back.
pub fn unanswered(e: &CallError) -> bool {
    matches!(
        e,
        CallError::Timeout(_)
            | CallError::Api(kube::Error::HyperError(_) | kube::Error::Service(_))
    )
}

/// Whether to try again, and after how long the server asked us to wait.
fn transient(e: &CallError) -> Option<Option<Duration>> {
    match e {
        CallError::Timeout(_) => Some(None),
        CallError::Api(kube::Error::Api(status)) => match status.code {
            429 | 500 | 502 | 503 | 504 => Some(
                status
                    .details
                    .as_ref()
                    .map(|d| d.retry_after_seconds)
                    .filter(|s| *s > 0)
                    .map(|s| Duration::from_secs(s.into())),
            ),
            _ => None,
        },
        // Connection refused or reset, TLS or HTTP framing errors: the server
        // (or a load balancer in front of it) is restarting.
        CallError::Api(kube::Error::HyperError(_) | kube::Error::Service(_)) => Some(None),
        CallError::Api(_) => None,
    }
}

impl RetryPolicy {
    /// The wait before attempt `n` (1-based retries): exponential, capped,
    /// with ±25% jitter so many node tasks do not retry in lockstep.
    pub fn backoff(&self, retry: u32, retry_after: Option<Duration>, seed: u64) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let exp = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let jitter = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % 51; // 0..=50
        exp.mul_f64(0.75 + jitter as f64 / 100.0)
    }

    /// Runs `call` until it succeeds, fails for good, or runs out of
    /// attempts. `on_retry` is told each retry (for the `-v` request budget).
    pub async fn run<T, F, Fut>(
        &self,
        mut call: F,
        mut on_retry: impl FnMut(),
    ) -> Result<T, CallError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let mut attempt = 0;
        loop {
            let result = match tokio::time::timeout(self.call_timeout, call(attempt)).await {
                Ok(r) => r.map_err(CallError::from),
                Err(_) => Err(CallError::Timeout(self.call_timeout)),
            };
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            attempt += 1;
            let give_up = !self.retry_unanswered && unanswered(&err);
            match transient(&err) {
                Some(retry_after) if attempt < self.attempts && !give_up => {
                    on_retry();
                    let seed = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos() as u64)
                        .unwrap_or(7);
                    tokio::time::sleep(self.backoff(attempt, retry_after, seed)).await;
                }
                _ => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn status(code: u16, retry_after: u32) -> kube::Error {
        let mut s: kube::core::Status = serde_json::from_value(serde_json::json!({
            "code": code, "message": "m", "reason": "r",
            "details": {"retryAfterSeconds": retry_after}
        }))
        .unwrap();
        s.code = code;
        kube::Error::Api(Box::new(s))
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
            max_retry_after: Duration::from_millis(20),
            call_timeout: Duration::from_millis(200),
            ..Default::default()
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_obeys_retry_after() {
        let p = RetryPolicy::default();
        let b1 = p.backoff(1, None, 0);
        let b3 = p.backoff(3, None, 0);
        assert!(b1 >= Duration::from_millis(150) && b1 <= Duration::from_millis(250));
        assert!(b3 >= Duration::from_millis(600) && b3 <= Duration::from_millis(1000));
        assert!(p.backoff(30, None, u64::MAX) <= Duration::from_millis(6250));
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(2)), 0),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(600)), 0),
            Duration::from_secs(30)
        );
    }

    #[tokio::test]
    async fn transient_errors_are_retried_and_others_are_not() {
        let calls = AtomicU32::new(0);
        let retries = AtomicU32::new(0);
        let out = fast()
            .run(
                |n| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    async move { if n < 2 { Err(status(429, 0)) } else { Ok(n) } }
                },
                || {
                    retries.fetch_add(1, Ordering::Relaxed);
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (
                out,
                calls.load(Ordering::Relaxed),
                retries.load(Ordering::Relaxed)
            ),
            (2, 3, 2)
        );

        let calls = AtomicU32::new(0);
        let err = fast()
            .run(
                |_| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    async { Err::<(), _>(status(403, 0)) }
                },
                || {},
            )
            .await
            .unwrap_err();
        assert_eq!((err.code(), calls.load(Ordering::Relaxed)), (Some(403), 1));

        let calls = AtomicU32::new(0);
        let err = fast()
            .run(
                |_| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    async { Err::<(), _>(status(500, 0)) }
                },
                || {},
            )
            .await
            .unwrap_err();
        assert_eq!((err.code(), calls.load(Ordering::Relaxed)), (Some(500), 5));
    }

    #[tokio::test]
    async fn the_first_contact_gives_up_at_once_on_a_server_that_does_not_answer() {
        let refused = || {
            let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
            kube::Error::Service(Box::new(io))
        };
        for (retry_unanswered, want) in [(true, 5), (false, 1)] {
            let calls = AtomicU32::new(0);
            let err = RetryPolicy {
                retry_unanswered,
                ..fast()
            }
            .run(
                |_| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    async { Err::<(), _>(refused()) }
                },
                || {},
            )
            .await
            .unwrap_err();
            assert!(unanswered(&err));
            assert_eq!(calls.load(Ordering::Relaxed), want);
        }
        // A 500 is an answer: still retried on the first contact.
        let calls = AtomicU32::new(0);
        let _ = RetryPolicy {
            retry_unanswered: false,
            ..fast()
        }
        .run(
            |_| {
                calls.fetch_add(1, Ordering::Relaxed);
                async { Err::<(), _>(status(500, 0)) }
            },
            || {},
        )
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 5);
    }

    #[tokio::test]
    async fn a_call_that_never_answers_times_out() {
        let started = std::time::Instant::now();
        let err = RetryPolicy {
            attempts: 2,
            ..fast()
        }
        .run(|_| std::future::pending::<Result<(), kube::Error>>(), || {})
        .await
        .unwrap_err();
        assert!(matches!(err, CallError::Timeout(_)));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
