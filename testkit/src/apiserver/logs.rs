//! Container logs: what the process wrote to stdout and stderr, line by
//! line with timestamps (like the CRI log files), and the `pods/log`
//! options (container, tailLines, limitBytes, sinceSeconds, timestamps,
//! follow).

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::objects::timestamp;

/// The kubelet rotates container logs at 10 MiB; older bytes are dropped.
const MAX_BYTES: usize = 10 << 20;

#[derive(Default)]
struct Inner {
    lines: Vec<(SystemTime, Vec<u8>)>,
    partial: [Vec<u8>; 2],
    bytes: usize,
    closed: bool,
}

/// One container's log.
#[derive(Default)]
pub struct LogBuf(Mutex<Inner>);

impl LogBuf {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends bytes of one stream (0 stdout, 1 stderr).
    pub fn write(&self, stream: usize, data: &[u8]) {
        let mut g = self.lock();
        let now = SystemTime::now();
        let mut buf = std::mem::take(&mut g.partial[stream]);
        buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(pos) = buf[start..].iter().position(|b| *b == b'\n') {
            let line = buf[start..start + pos + 1].to_vec();
            g.bytes += line.len();
            g.lines.push((now, line));
            start += pos + 1;
        }
        g.partial[stream] = buf[start..].to_vec();
        while g.bytes > MAX_BYTES && !g.lines.is_empty() {
            let (_, l) = g.lines.remove(0);
            g.bytes -= l.len();
        }
    }

    /// The process is gone: flush unterminated lines.
    pub fn close(&self) {
        let mut g = self.lock();
        let now = SystemTime::now();
        for s in 0..2 {
            let p = std::mem::take(&mut g.partial[s]);
            if !p.is_empty() {
                g.bytes += p.len();
                g.lines.push((now, p));
            }
        }
        g.closed = true;
    }

    /// Drops the last line if it is exactly `line` (a wrapper's message
    /// that is not the container's).
    pub fn drop_last_line(&self, line: &[u8]) {
        let mut g = self.lock();
        if g.lines.last().is_some_and(|(_, l)| l == line)
            && let Some((_, l)) = g.lines.pop()
        {
            g.bytes -= l.len();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub fn len(&self) -> usize {
        self.lock().lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines from index `from` on, rendered per the options.
    pub fn render(&self, from: usize, opts: &LogOptions) -> (Vec<u8>, usize) {
        let g = self.lock();
        let since = opts
            .since_seconds
            .map(|s| SystemTime::now() - Duration::from_secs(s));
        let mut lines: Vec<&(SystemTime, Vec<u8>)> = g
            .lines
            .iter()
            .skip(from)
            .filter(|(t, _)| since.is_none_or(|s| *t >= s))
            .collect();
        if from == 0
            && let Some(n) = opts.tail_lines
        {
            let n = n.max(0) as usize;
            if lines.len() > n {
                lines.drain(..lines.len() - n);
            }
        }
        let mut out = Vec::new();
        for (t, l) in lines {
            if opts.timestamps {
                let ts =
                    k8s_openapi::jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%S.%fZ", timestamp(*t))
                        .unwrap_or_default();
                out.extend_from_slice(ts.as_bytes());
                out.push(b' ');
            }
            out.extend_from_slice(l);
        }
        (out, g.lines.len())
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogOptions {
    pub container: Option<String>,
    pub tail_lines: Option<i64>,
    pub limit_bytes: Option<usize>,
    pub since_seconds: Option<u64>,
    #[serde(default, deserialize_with = "flag")]
    pub timestamps: bool,
    #[serde(default, deserialize_with = "flag")]
    pub follow: bool,
    #[serde(default, deserialize_with = "flag")]
    pub previous: bool,
}

/// `true`, `1` or an empty value.
pub fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s = String::deserialize(d)?;
    Ok(matches!(s.as_str(), "true" | "1" | "" | "True"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_tail_and_partial() {
        let l = LogBuf::default();
        l.write(0, b"a\nb");
        l.write(1, b"err\n");
        l.write(0, b"\nc");
        l.close();
        let all = l.render(0, &LogOptions::default()).0;
        assert_eq!(all, b"a\nerr\nb\nc");
        let tail = l
            .render(
                0,
                &LogOptions {
                    tail_lines: Some(2),
                    ..LogOptions::default()
                },
            )
            .0;
        assert_eq!(tail, b"b\nc");
    }
}
