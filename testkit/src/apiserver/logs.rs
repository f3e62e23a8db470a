//! Container logs: a fake container prints its whole output when it exits,
//! and `pods/log` serves it with the options the plugin uses (container,
//! tailLines, limitBytes).

use std::sync::OnceLock;

use serde::Deserialize;

/// One container's log: empty until the container exits.
#[derive(Default)]
pub struct LogBuf(OnceLock<String>);

impl LogBuf {
    /// The container exited having printed `output`.
    pub fn close(&self, output: String) {
        let _ = self.0.set(output);
    }

    /// The log per the options.
    pub fn render(&self, opts: &LogOptions) -> String {
        let text = self.0.get().map(String::as_str).unwrap_or_default();
        let mut out = match opts.tail_lines {
            Some(n) => {
                let n = n.max(0) as usize;
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .filter(|i| *i < text.len())
                    .collect();
                let from = starts.len().saturating_sub(n);
                match starts.get(from) {
                    Some(i) if n > 0 => text[*i..].to_string(),
                    _ => String::new(),
                }
            }
            None => text.to_string(),
        };
        if let Some(limit) = opts.limit_bytes {
            let mut end = limit.min(out.len());
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
        }
        out
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogOptions {
    pub container: Option<String>,
    pub tail_lines: Option<i64>,
    pub limit_bytes: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_and_limit() {
        let l = LogBuf::default();
        assert_eq!(l.render(&LogOptions::default()), "", "nothing before exit");
        l.close("a\nb\nc\n".into());
        let tail = |n| LogOptions {
            tail_lines: Some(n),
            ..LogOptions::default()
        };
        assert_eq!(l.render(&LogOptions::default()), "a\nb\nc\n");
        assert_eq!(l.render(&tail(2)), "b\nc\n");
        assert_eq!(l.render(&tail(9)), "a\nb\nc\n");
        assert_eq!(l.render(&tail(0)), "");
        let limit = LogOptions {
            limit_bytes: Some(3),
            ..tail(2)
        };
        assert_eq!(l.render(&limit), "b\nc");
    }
}
