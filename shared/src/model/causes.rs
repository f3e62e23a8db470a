//! An error and its causes as one line, each said once.
//!
//! Our errors keep their cause only in `source()` (kubectl-view-allocations'
//! `{ context, source }`), so `to_string()` alone would drop it. Where an
//! error becomes text by hand — a report's `gaps`, a warning, an `unknown`
//! reason — [`joined`] walks the chain instead. Other crates' errors (kube,
//! hyper) often repeat their cause in their own message; [`said_once`] cuts
//! those repeats, so the printed line is the same whichever style an error has.

use std::error::Error;

/// Every error of `err`'s chain, outermost first. `io::Error` hides its inner
/// error from `source()` (it returns the inner error's source), so it is
/// looked into, or an error wrapped in an `io::Error` would never be seen.
pub fn chain<'a>(err: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        // A cycle or an absurd depth must not hang or flood an error line.
        if out.len() >= 32 {
            break;
        }
        out.push(e);
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn Error + 'static));
        next = inner.or_else(|| e.source());
    }
    out
}

/// Texts of a chain joined by `: `, each said once: a text that ends with the
/// next one's is cut before it, and a text already said is skipped.
pub fn said_once(texts: &[String]) -> String {
    let mut said: Vec<&str> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let mut t = t.trim();
        if let Some(next) = texts.get(i + 1).map(|n| n.trim()).filter(|n| !n.is_empty())
            && let Some(head) = t.strip_suffix(next)
        {
            t = head.trim_end_matches([' ', ':']);
        }
        if t.is_empty() || said.iter().any(|s| s.contains(t)) {
            continue;
        }
        said.push(t);
    }
    said.join(": ")
}

/// `err` and its causes in one line: `cannot read /x: Permission denied (os error 13)`.
pub fn joined(err: &(dyn Error + 'static)) -> String {
    let texts: Vec<String> = chain(err).iter().map(|e| e.to_string()).collect();
    said_once(&texts)
}

/// Test support: `err` printed as the binaries print it (anyhow's `{:#}`)
/// and as [`joined`] writes it into a report must be the same line, and
/// must say `cause` exactly once. Returns that line.
#[cfg(test)]
pub(crate) fn printed_once(err: impl Error + Send + Sync + 'static, cause: &str) -> String {
    let joined = joined(&err);
    let printed = format!("{:#}", anyhow::Error::new(err));
    assert_eq!(
        printed.matches(cause).count(),
        1,
        "{cause:?} in {printed:?}"
    );
    assert_eq!(joined, printed);
    printed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading {0}")]
    struct Context(&'static str, #[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("x failed: {0}")]
    struct Repeats(#[source] std::io::Error);

    fn refused() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused")
    }

    #[test]
    fn a_cause_kept_in_source_is_joined_once() {
        let e = Context("/x", refused());
        assert_eq!(joined(&e), "reading /x: refused");
    }

    #[test]
    fn a_message_that_repeats_its_cause_is_said_once() {
        let e = Repeats(refused());
        assert_eq!(joined(&e), "x failed: refused");
    }

    #[test]
    fn an_error_inside_an_io_error_is_seen_and_said_once() {
        let inner = Context("/y", refused());
        let e = Context("/x", std::io::Error::other(inner));
        assert_eq!(joined(&e), "reading /x: reading /y: refused");
    }

    #[test]
    fn printed_once_fails_on_a_repeated_cause() {
        let repeated = std::panic::catch_unwind(|| printed_once(Repeats(refused()), "refused"));
        assert!(
            repeated.is_err(),
            "a message that repeats its source must fail"
        );
    }
}
