//! Why an API server could not be used, in one line: the server, the
//! context, the cause as kubectl names it, and what to check.
//!
//! kube's errors nest their cause in their message and again in `source()`
//! (`ServiceError: client error (Connect): … client error (Connect): tcp
//! connect error: …`), and they never name the server. Every cluster command
//! (and a run over several contexts) reports a failed context through
//! [`describe`]; [`chain_once`] prints any other error with each cause once.

use std::error::Error as StdError;

use imgdup::cluster::retry::CallError;
use imgdup::report::sanitize;
use kube::client::AuthError;

/// What went wrong on the way to the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    Refused,
    Dns,
    Timeout,
    UnknownAuthority,
    Expired(String),
    NotYetValid,
    WrongName(String),
    Tls(String),
    Unauthorized,
    Forbidden(String),
    /// The kubeconfig's exec credential plugin exited non-zero.
    ExecFailed {
        command: String,
        status: String,
        stderr: String,
    },
    /// The exec credential plugin could not be started (not installed).
    ExecStart(String),
}

pub use imgdup::model::causes::chain;

/// The kube error an element of the chain stands for: `CallError` is
/// `transparent`, so its own `source()` skips the kube error it holds.
fn kube_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a kube::Error> {
    match e.downcast_ref::<CallError>() {
        Some(CallError::Api(k)) => Some(k),
        _ => e.downcast_ref::<kube::Error>(),
    }
}

/// The cause of a failed cluster request, if it is one of the kinds a new
/// user meets first; `None` for anything else (printed by [`chain_once`]).
pub fn classify(err: &(dyn StdError + 'static)) -> Option<Cause> {
    chain(err).into_iter().find_map(cause_of)
}

fn cause_of(e: &(dyn StdError + 'static)) -> Option<Cause> {
    if let Some(CallError::Timeout(_)) = e.downcast_ref::<CallError>() {
        return Some(Cause::Timeout);
    }
    if let Some(kube::Error::Api(status)) = kube_error(e) {
        return match status.code {
            401 => Some(Cause::Unauthorized),
            403 => Some(Cause::Forbidden(one_line(&status.message))),
            _ => None,
        };
    }
    if let Some(auth) = kube_error(e)
        .and_then(|k| match k {
            kube::Error::Auth(a) => Some(a),
            _ => None,
        })
        .or_else(|| e.downcast_ref::<AuthError>())
    {
        match auth {
            AuthError::AuthExecRun { cmd, out } => {
                return Some(Cause::ExecFailed {
                    command: command_line(cmd),
                    status: out.status.to_string(),
                    stderr: last_line(&out.stderr),
                });
            }
            AuthError::AuthExecStart(io) => return Some(Cause::ExecStart(io.to_string())),
            _ => {}
        }
    }
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        use rustls::CertificateError as C;
        return Some(match tls {
            // A CA of the same name that did not sign it: Go's x509 says
            // "signed by unknown authority" for both.
            rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
                Cause::UnknownAuthority
            }
            rustls::Error::InvalidCertificate(C::ExpiredContext { time, not_after }) => {
                Cause::Expired(format!(
                    "current time {} is after {}",
                    utc(time.as_secs()),
                    utc(not_after.as_secs())
                ))
            }
            rustls::Error::InvalidCertificate(C::Expired) => Cause::Expired(String::new()),
            rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
                Cause::NotYetValid
            }
            rustls::Error::InvalidCertificate(
                c @ (C::NotValidForName | C::NotValidForNameContext { .. }),
            ) => Cause::WrongName(c.to_string()),
            other => Cause::Tls(other.to_string()),
        });
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return Some(Cause::Refused),
            std::io::ErrorKind::TimedOut => return Some(Cause::Timeout),
            _ => {}
        }
    }
    // hyper-util's ConnectError is private; its message is stable.
    if e.to_string().starts_with("dns error") {
        return Some(Cause::Dns);
    }
    None
}

/// One line: which server and context, what happened, and what to check.
/// Any error that is not a known cause is still said once, with the server.
pub fn describe(err: &(dyn StdError + 'static), server: &str, context: &str) -> String {
    match classify(err) {
        Some(cause) => describe_cause(&cause, server, context),
        None => format!("server {server} (context {context:?}): {}", chain_once(err)),
    }
}

/// [`describe`] for a cause already known.
pub fn describe_cause(cause: &Cause, server: &str, context: &str) -> String {
    let at = format!("{server} (context {context:?})");
    let host = host(server);
    match cause {
        Cause::Refused => format!(
            "the connection to the server {at} was refused: is the API server running, and does the kubeconfig's server URL have the right host and port?"
        ),
        Cause::Dns => format!(
            "cannot reach the server {at}: DNS lookup of {host:?} failed; check the server URL in the kubeconfig and your DNS or VPN"
        ),
        Cause::Timeout => format!(
            "cannot reach the server {at}: timeout, no answer; check the network path to it (VPN, firewall, proxy) and that the API server is up (--connect-timeout sets the wait, 30s by default)"
        ),
        Cause::UnknownAuthority => format!(
            "cannot trust the server {at}: x509: certificate signed by unknown authority; check its cluster's certificate-authority (or -data) in the kubeconfig (it must be the CA that signed the API server's certificate)"
        ),
        Cause::Expired(when) => {
            let when = if when.is_empty() {
                String::new()
            } else {
                format!(" ({when})")
            };
            format!(
                "cannot trust the server {at}: x509: certificate has expired{when}; renew the API server's certificate, or check this machine's clock"
            )
        }
        Cause::NotYetValid => format!(
            "cannot trust the server {at}: x509: certificate is not yet valid; check this machine's clock"
        ),
        Cause::WrongName(detail) => format!(
            "cannot trust the server {at}: x509: {detail}; use a server URL that the certificate names, or set tls-server-name for its cluster in the kubeconfig"
        ),
        Cause::Tls(detail) => format!(
            "TLS with the server {at} failed: {detail}; check that the URL is the API server's https endpoint"
        ),
        Cause::Unauthorized => format!(
            "the server {at} rejected the credentials (401 Unauthorized): the token or client certificate of the context's user is wrong or expired; log in again or fix the user in the kubeconfig"
        ),
        Cause::Forbidden(message) => format!(
            "the server {at} refused the request (403 Forbidden): {message}; ask your admin for the rules in deploy/rbac.yaml"
        ),
        Cause::ExecFailed {
            command,
            status,
            stderr,
        } => {
            let said = if stderr.is_empty() {
                "(its stderr is above)".to_string()
            } else {
                format!("{stderr:?}")
            };
            format!(
                "the exec credential plugin of context {context:?} (server {server}) failed: `{command}` {status}: {said}; run it yourself to see why, then log in again or fix users[].user.exec in the kubeconfig"
            )
        }
        Cause::ExecStart(why) => format!(
            "the exec credential plugin of context {context:?} (server {server}) could not be started: {why}; install it or fix users[].user.exec.command in the kubeconfig"
        ),
    }
}

/// An error and its causes, each said once (the library's joiner, with an
/// API status as its message and code).
pub fn chain_once(err: &(dyn StdError + 'static)) -> String {
    let texts: Vec<String> = chain(err).into_iter().map(text).collect();
    imgdup::model::causes::said_once(&texts)
}

/// An element's own text; an API status is its message and code, not the
/// Debug dump kube's `Display` appends.
fn text(e: &(dyn StdError + 'static)) -> String {
    match kube_error(e) {
        Some(kube::Error::Api(s)) => format!("{} ({} {})", s.message, s.code, s.reason),
        _ => e.to_string(),
    }
}

/// The host of a server URL, as DNS was asked for it.
fn host(server: &str) -> String {
    let rest = server.split_once("://").map_or(server, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6).to_string(),
        None => authority.split(':').next().unwrap_or(authority).to_string(),
    }
}

fn one_line(s: &str) -> String {
    sanitize(s.lines().next().unwrap_or_default().trim())
}

/// The last non-empty line a plugin wrote on stderr, capped and escaped.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let line: String = line.trim().chars().take(300).collect();
    sanitize(&line)
}

/// The program and its arguments from std's `Command` Debug text, without
/// the `KEY="value"` environment it prints first (KUBERNETES_EXEC_INFO, and
/// any env from the kubeconfig, which may hold secrets).
fn command_line(debug: &str) -> String {
    let mut words = Vec::new();
    let mut chars = debug.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut quoted = false;
        let mut in_quotes = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    in_quotes = !in_quotes;
                    quoted = true;
                }
                '\\' if in_quotes => {
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                }
                ' ' if !in_quotes => break,
                c => word.push(c),
            }
        }
        let is_env = !word.is_empty() && quoted && debug_env_word(&word);
        if !is_env {
            words.push(word);
        }
    }
    sanitize(&words.join(" "))
}

/// `KEY=value` as std prints an environment change: an identifier, then `=`.
fn debug_env_word(word: &str) -> bool {
    word.split_once('=').is_some_and(|(k, _)| {
        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (as kubectl prints).
fn utc(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_command_is_shown_without_its_environment() {
        let debug = r#"KUBERNETES_EXEC_INFO="{\"kind\":\"ExecCredential\",\"spec\":{}}" SECRET="x y" "/opt/bin/login" "--cluster" "prod""#;
        assert_eq!(command_line(debug), "/opt/bin/login --cluster prod");
        assert_eq!(command_line(r#""aws" "eks""#), "aws eks");
    }

    #[test]
    fn a_message_that_repeats_its_cause_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = anyhow::Error::new(io)
            .context("x failed: refused")
            .context("preflight");
        assert_eq!(chain_once(err.as_ref()), "preflight: x failed: refused");
    }
}
