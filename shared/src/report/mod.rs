//! Rendering (in: the documents of [`crate::model`]; out: tables, JSON, YAML, CSV).
//!
//! Rendering: a borderless table like kubectl for people, and the stable
//! `imgdup/v1` documents for machines (`-o json|yaml` carry the same fields).

mod chain;
#[cfg(feature = "cluster")]
mod cluster;
mod node;
mod prune;
#[cfg(feature = "cluster")]
mod top;

pub use crate::model::bytes::human_bytes;
pub use chain::chain_text;
#[cfg(feature = "cluster")]
pub use cluster::{api_calls_text, cluster_text};
pub use node::{node_text, prune_text};
pub use prune::prune_report_text;
#[cfg(feature = "cluster")]
pub use top::{source_str, top_csv, top_text};

use comfy_table::{Table, presets::NOTHING};
use serde::Serialize;

/// The cause is only in `source`: printed as a chain (`{:#}`), it is said once.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot encode the report as JSON")]
    Json(#[from] serde_json::Error),
    #[error("cannot encode the report as YAML")]
    Yaml(#[from] serde_yaml::Error),
    #[cfg(feature = "cluster")]
    #[error("cannot write the report as CSV")]
    Csv(#[from] csv::Error),
}

/// Output formats for machine-readable documents.
pub fn to_json<T: Serialize>(doc: &T) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(doc)? + "\n")
}

pub fn to_yaml<T: Serialize>(doc: &T) -> Result<String, ReportError> {
    Ok(serde_yaml::to_string(doc)?)
}

/// Escapes control characters: names and cmdlines come from the node and
/// may carry terminal escape sequences.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn or_dash(v: Option<&str>) -> String {
    v.map(sanitize)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".into())
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(NOTHING).set_header(header.iter().copied());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoding_error_says_its_cause_once() {
        let cause = serde_json::from_str::<u8>("x").unwrap_err();
        let text = cause.to_string();
        let printed = crate::model::causes::printed_once(ReportError::from(cause), &text);
        assert_eq!(printed, format!("cannot encode the report as JSON: {text}"));
        let cause = serde_yaml::from_str::<u8>("x").unwrap_err();
        let text = cause.to_string();
        let printed = crate::model::causes::printed_once(ReportError::from(cause), &text);
        assert_eq!(printed, format!("cannot encode the report as YAML: {text}"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(sanitize("ok\x1b[31mred\n"), "ok\\u{1b}[31mred\\n");
        assert_eq!(sanitize("plain /run/x.sock"), "plain /run/x.sock");
    }
}
