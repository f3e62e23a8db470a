//! A guard in front of every YAML file read from the node.
//!
//! libyaml (under serde_yaml) takes time growing with the square of flow
//! nesting: 8,000 levels of `[` take over a second, and the megabyte a
//! config may hold would take hours. serde_yaml refuses more than 128 levels
//! anyway, only after that work, so deeper input is refused up front in one
//! linear pass. The pass skips comments and quoted scalars the way YAML
//! does; where it cannot tell, it counts a bracket, so it may refuse a
//! strange file but never lets a deep one through.

/// serde_yaml's own recursion limit.
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nested more than {MAX_DEPTH} levels deep (at byte {at}); no config file is")]
pub struct TooDeep {
    pub at: usize,
}

/// Fails when `[`/`{` nest deeper than [`MAX_DEPTH`] outside comments and quotes.
pub fn check(bytes: &[u8]) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut i = 0;
    // What precedes a byte decides whether `#` or a quote starts something.
    let mut after_separator = true;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'#' if after_separator => i = skip_until(bytes, i, |c| c == b'\n'),
            b'"' if after_separator => i = skip_double_quoted(bytes, i),
            b'\'' if after_separator => i = skip_single_quoted(bytes, i),
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(TooDeep { at: i });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        after_separator = b.is_ascii_whitespace() || b"[{,:-?".contains(&b);
        i += 1;
    }
    Ok(())
}

/// The index of the first byte after `start` matching `end` (or the last byte).
fn skip_until(bytes: &[u8], start: usize, end: impl Fn(u8) -> bool) -> usize {
    (start + 1..bytes.len())
        .find(|&j| end(bytes[j]))
        .unwrap_or(bytes.len().saturating_sub(1))
}

/// The index of the closing `"`, stepping over backslash escapes.
fn skip_double_quoted(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j,
            _ => j += 1,
        }
    }
    bytes.len().saturating_sub(1)
}

/// The index of the closing `'`; `''` is a quote inside the scalar.
fn skip_single_quoted(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        if bytes[j] == b'\'' {
            if bytes.get(j + 1) == Some(&b'\'') {
                j += 2;
                continue;
            }
            return j;
        }
        j += 1;
    }
    bytes.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_flow_nesting_outside_comments_and_quotes() {
        let deep = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        assert!(check(deep(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            check(deep(MAX_DEPTH + 1).as_bytes()),
            Err(TooDeep { at: 3 + MAX_DEPTH })
        );
        let brackets = "[".repeat(500);
        for ok in [
            format!("# {brackets}\na: b\n"),
            format!("a: \"{brackets}\\\" {brackets}\"\n"),
            format!("a: '{brackets}'' {brackets}'\n"),
            "runtime-endpoint: unix:///run/x.sock\ntimeout: 2\n".to_string(),
        ] {
            assert!(check(ok.as_bytes()).is_ok(), "{ok}");
        }
        // A quote inside a plain scalar starts nothing: the brackets count.
        assert!(check(format!("a: it's {brackets}\n").as_bytes()).is_err());
        assert!(check(format!("a: x#{brackets}\n").as_bytes()).is_err());
    }

    #[test]
    fn a_megabyte_of_brackets_is_refused_at_once() {
        let doc = "[".repeat(1 << 20);
        let started = std::time::Instant::now();
        assert!(check(doc.as_bytes()).is_err());
        assert!(started.elapsed().as_millis() < 500);
    }
}
