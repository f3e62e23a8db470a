//! The `crictl.yaml` format, read the way cri-tools reads it.
//!
//! cri-tools `pkg/common/file.go` walks the yaml.v3 node tree: the root
//! mapping's keys must be known options, values are taken as scalar text and
//! converted with Go's `strconv.Atoi` / `strconv.ParseBool`. A document that
//! is not a mapping (empty file, a lone scalar) yields an empty config.
//! One known difference: yaml.v3 lets a repeated key win last, while our YAML
//! parser rejects duplicates; we report that as an error naming the key.

use serde_yaml::Value;

/// The options crictl accepts in its config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrictlYaml {
    pub runtime_endpoint: String,
    pub image_endpoint: String,
    pub timeout_secs: i64,
    pub debug: bool,
    pub pull_image_on_create: bool,
    pub disable_pull_on_run: bool,
    pub max_retries: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CrictlYamlError {
    #[error("not valid YAML: {0}")]
    Syntax(String),
    /// The exact message crictl prints.
    #[error(
        "Config option '{0}' is not valid (crictl accepts runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries)"
    )]
    UnknownOption(String),
    #[error("parsing config option '{option}': {value:?} is not {expected}")]
    BadValue {
        option: String,
        value: String,
        expected: &'static str,
    },
}

pub fn parse(bytes: &[u8]) -> Result<CrictlYaml, CrictlYamlError> {
    let mut config = CrictlYaml::default();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(config);
    }
    crate::yaml_depth::check(bytes).map_err(|e| CrictlYamlError::Syntax(e.to_string()))?;
    let doc: Value =
        serde_yaml::from_slice(bytes).map_err(|e| CrictlYamlError::Syntax(e.to_string()))?;
    let pairs: Vec<(String, String)> = match doc {
        Value::Mapping(map) => map
            .into_iter()
            .map(|(k, v)| (scalar_text(&k), scalar_text(&v)))
            .collect(),
        // yaml.v3 walks a sequence's items two by two as name/value.
        Value::Sequence(items) => items
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (scalar_text(&c[0]), scalar_text(&c[1])))
            .collect(),
        _ => Vec::new(),
    };
    for (name, value) in pairs {
        match name.as_str() {
            "runtime-endpoint" => config.runtime_endpoint = value,
            "image-endpoint" => config.image_endpoint = value,
            "timeout" => config.timeout_secs = atoi(&name, &value)?,
            "debug" => config.debug = parse_bool(&name, &value)?,
            "pull-image-on-create" => config.pull_image_on_create = parse_bool(&name, &value)?,
            "disable-pull-on-run" => config.disable_pull_on_run = parse_bool(&name, &value)?,
            "max-retries" => config.max_retries = atoi(&name, &value)?,
            _ => return Err(CrictlYamlError::UnknownOption(name)),
        }
    }
    Ok(config)
}

/// yaml.v3 `Node.Value`: the scalar's text; empty for null and for collections.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Tagged(t) => scalar_text(&t.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => String::new(),
    }
}

/// Go `strconv.Atoi`: optional sign, decimal digits, 64-bit range.
fn atoi(option: &str, value: &str) -> Result<i64, CrictlYamlError> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| value.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| CrictlYamlError::BadValue {
            option: option.into(),
            value: value.into(),
            expected: "a whole number of seconds",
        })
}

/// Go `strconv.ParseBool`.
fn parse_bool(option: &str, value: &str) -> Result<bool, CrictlYamlError> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(CrictlYamlError::BadValue {
            option: option.into(),
            value: value.into(),
            expected: "a boolean (true/false)",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_k3s_file() {
        let y = parse(b"runtime-endpoint: unix:///run/k3s/containerd/containerd.sock\n").unwrap();
        assert_eq!(
            y.runtime_endpoint,
            "unix:///run/k3s/containerd/containerd.sock"
        );
        assert_eq!(y.image_endpoint, "");
    }

    #[test]
    fn reads_every_option() {
        let y = parse(b"runtime-endpoint: unix:///a\nimage-endpoint: unix:///b\ntimeout: 10\ndebug: true\npull-image-on-create: false\ndisable-pull-on-run: True\nmax-retries: -1\n").unwrap();
        assert_eq!(
            (
                y.timeout_secs,
                y.debug,
                y.disable_pull_on_run,
                y.max_retries
            ),
            (10, true, true, -1)
        );
    }

    #[test]
    fn empty_comment_only_and_scalar_documents_are_empty_configs() {
        for doc in [
            &b""[..],
            b"   \n",
            b"# nothing\n",
            b"just-a-string\n",
            b"~\n",
        ] {
            assert_eq!(
                parse(doc).unwrap(),
                CrictlYaml::default(),
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn unknown_keys_fail_with_crictls_message() {
        let e = parse(b"runtime_endpoint: unix:///a\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Config option 'runtime_endpoint' is not valid"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_the_option() {
        let e = parse(b"timeout: 2s\n").unwrap_err();
        assert_eq!(
            e,
            CrictlYamlError::BadValue {
                option: "timeout".into(),
                value: "2s".into(),
                expected: "a whole number of seconds"
            }
        );
        assert!(parse(b"debug: yes\n").is_err());
        assert!(parse(b"timeout: 99999999999999999999\n").is_err());
    }

    #[test]
    fn null_and_nested_values_read_as_empty() {
        let y = parse(b"runtime-endpoint:\nimage-endpoint: {a: b}\n").unwrap();
        assert_eq!(
            (y.runtime_endpoint.as_str(), y.image_endpoint.as_str()),
            ("", "")
        );
    }

    #[test]
    fn syntax_errors_and_binary_input_are_errors_not_panics() {
        assert!(matches!(
            parse(b"runtime-endpoint: [unclosed\n"),
            Err(CrictlYamlError::Syntax(_))
        ));
        assert!(parse(&[0xff, 0xfe, 0x00, 0x41]).is_err());
        assert!(matches!(
            parse(b"a: 1\na: 2\n"),
            Err(CrictlYamlError::Syntax(_))
        ));
    }
}
