//! Label selectors (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`)
//! and field selectors (`f=v`, `f==v`, `f!=v`) with the fields the real
//! server supports per resource.

use std::collections::BTreeMap;

use serde_json::Value;

use super::store::Kind;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    NotEq,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LabelSelector(Vec<Requirement>);

/// Splits at commas outside parentheses.
fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            reqs.push(parse_requirement(&part)?);
        }
        Ok(Self(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| {
            let v = labels.get(&r.key);
            match r.op {
                Op::Eq => v.is_some_and(|v| v == &r.values[0]),
                Op::NotEq => v.is_none_or(|v| v != &r.values[0]),
                Op::In => v.is_some_and(|v| r.values.contains(v)),
                Op::NotIn => v.is_none_or(|v| !r.values.contains(v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
            }
        })
    }

    /// Matches the labels of a JSON object.
    pub fn matches_object(&self, obj: &Value) -> bool {
        self.is_empty() || self.matches(&labels_of(obj))
    }
}

pub fn labels_of(obj: &Value) -> BTreeMap<String, String> {
    obj["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_requirement(p: &str) -> Result<Requirement, String> {
    let err = || {
        format!("unable to parse requirement: found '{p}', expected: in, notin, =, ==, !=, gt, lt")
    };
    if let Some(key) = p.strip_prefix('!') {
        let key = key.trim();
        if !valid_key(key) {
            return Err(err());
        }
        return Ok(Requirement {
            key: key.into(),
            op: Op::DoesNotExist,
            values: vec![],
        });
    }
    for (tok, op) in [(" notin ", Op::NotIn), (" in ", Op::In)] {
        if let Some((k, rest)) = p.split_once(tok) {
            let rest = rest.trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(err)?;
            let values = inner.split(',').map(|v| v.trim().to_string()).collect();
            return Ok(Requirement {
                key: k.trim().into(),
                op,
                values,
            });
        }
    }
    for (tok, op) in [("!=", Op::NotEq), ("==", Op::Eq), ("=", Op::Eq)] {
        if let Some((k, v)) = p.split_once(tok) {
            let key = k.trim();
            if !valid_key(key) {
                return Err(err());
            }
            return Ok(Requirement {
                key: key.into(),
                op,
                values: vec![v.trim().into()],
            });
        }
    }
    if valid_key(p) {
        return Ok(Requirement {
            key: p.into(),
            op: Op::Exists,
            values: vec![],
        });
    }
    Err(err())
}

#[derive(Debug, Clone, Default)]
pub struct FieldSelector(Vec<(String, bool, String)>);

/// The fields each resource can be selected by (the real server's list).
fn supported_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pod => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        Kind::Node => &["metadata.name", "spec.unschedulable"],
    }
}

impl FieldSelector {
    pub fn parse(s: &str, kind: Kind) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, eq, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if !supported_fields(kind).contains(&field) {
                return Err(format!("field label not supported: {field}"));
            }
            out.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(Self(out))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0
            .iter()
            .all(|(f, eq, v)| (field_value(obj, f) == *v) == *eq)
    }
}

fn field_value(obj: &Value, field: &str) -> String {
    let mut cur = obj;
    for p in field.split('.') {
        cur = &cur[p];
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null if matches!(field, "spec.unschedulable" | "spec.hostNetwork") => "false".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors() {
        let l = labels(&[("kubernetes.io/os", "linux"), ("tier", "a")]);
        for (sel, want) in [
            ("kubernetes.io/os=linux", true),
            ("kubernetes.io/os==linux,tier!=b", true),
            ("tier in (a, b)", true),
            ("tier notin (a)", false),
            ("tier", true),
            ("!tier", false),
            ("!gpu", true),
            ("gpu", false),
            ("kubernetes.io/os=windows", false),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel}"
            );
        }
        assert!(LabelSelector::parse("a in b").is_err());
    }

    #[test]
    fn field_selectors() {
        let pod = serde_json::json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"}});
        let s = FieldSelector::parse("spec.nodeName=n1,metadata.name!=q", Kind::Pod).unwrap();
        assert!(s.matches(&pod));
        assert!(
            !FieldSelector::parse("spec.nodeName=n2", Kind::Pod)
                .unwrap()
                .matches(&pod)
        );
        assert!(FieldSelector::parse("spec.foo=1", Kind::Pod).is_err());
        assert!(
            FieldSelector::parse("spec.hostNetwork=false", Kind::Pod)
                .unwrap()
                .matches(&pod)
        );
    }
}
