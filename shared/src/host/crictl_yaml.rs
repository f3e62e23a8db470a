//! The `crictl.yaml` format, read the way cri-tools reads it.
//!
//! cri-tools `pkg/common/file.go` unmarshals the first YAML document into a
//! yaml.v3 node tree and walks the root's children two by two as name/value:
//! names must be known options; a value is the node's `Value`, the scalar's
//! text exactly as written (`~` and `null` are the strings "~" and "null", not
//! empty; a collection's is empty), converted with Go's `strconv.Atoi` /
//! `strconv.ParseBool`. A repeated key is not an error: the last one wins.
//! A root that is not a collection (empty file, a lone scalar) yields an
//! empty config. serde_yaml would resolve scalars to typed values and refuse
//! duplicate keys, so the tree is walked through serde's visitor API instead:
//! a first pass learns which children are collections, a second reads every
//! scalar's text with `deserialize_str`.
//! One known difference: an alias's `Value` in yaml.v3 is the anchor's name,
//! while serde_yaml hands us the anchored value.

use serde::de::{self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess};

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
    crate::host::yaml_depth::check(bytes).map_err(|e| CrictlYamlError::Syntax(e.to_string()))?;
    let syntax = |e: serde_yaml::Error| CrictlYamlError::Syntax(e.to_string());
    // yaml.v3 `Unmarshal` reads the first document only.
    let first = || serde_yaml::Deserializer::from_slice(bytes).next();
    let Some(doc) = first() else {
        return Ok(config);
    };
    let Some(shapes) = doc.deserialize_any(RootShapes).map_err(syntax)? else {
        return Ok(config);
    };
    let doc = first().expect("the same input has the same first document");
    let texts = doc.deserialize_any(RootTexts(&shapes)).map_err(syntax)?;
    for pair in texts.chunks_exact(2) {
        let (name, value) = (pair[0].clone(), pair[1].clone());
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

/// Whether a node is a scalar (its text is its `Value`) or a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Scalar,
    Collection,
}

/// Pass 1 for one node: its shape, the node consumed.
struct ShapeOf;

impl<'de> DeserializeSeed<'de> for ShapeOf {
    type Value = Shape;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeOf)
    }
}

macro_rules! scalar_visits {
    ($ret:expr; $($name:ident: $ty:ty),*) => {
        $(fn $name<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> { Ok($ret) })*
    };
}

impl<'de> de::Visitor<'de> for ShapeOf {
    type Value = Shape;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML node")
    }
    scalar_visits!(Shape::Scalar; visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128,
        visit_u128: u128, visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);
    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Collection)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Collection)
    }
    // serde_yaml hands a custom-tagged node (`!foo x`) over as an enum.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Shape, A::Error> {
        let (IgnoredAny, node) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(node, ShapeOf)
    }
}

/// Pass 1 for the root: the shapes of its children in order (a mapping's keys
/// and values interleaved), or `None` when the root is a scalar.
struct RootShapes;

impl<'de> de::Visitor<'de> for RootShapes {
    type Value = Option<Vec<Shape>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML document")
    }
    scalar_visits!(None; visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128,
        visit_u128: u128, visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut shapes = Vec::new();
        while let Some(s) = seq.next_element_seed(ShapeOf)? {
            shapes.push(s);
        }
        Ok(Some(shapes))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut shapes = Vec::new();
        while let Some(k) = map.next_key_seed(ShapeOf)? {
            shapes.extend([k, map.next_value_seed(ShapeOf)?]);
        }
        Ok(Some(shapes))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Ok(None)
    }
}

/// Pass 2 for one node: a scalar's text as written, or "" for a collection.
struct TextOf(Shape);

impl<'de> DeserializeSeed<'de> for TextOf {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        match self.0 {
            // serde_yaml's `deserialize_str` yields any scalar's text unresolved.
            Shape::Scalar => d.deserialize_str(RawText),
            Shape::Collection => d.deserialize_ignored_any(IgnoredAny).map(|_| String::new()),
        }
    }
}

struct RawText;

impl de::Visitor<'_> for RawText {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Pass 2 for the root: every child's text, in pass 1's order.
struct RootTexts<'a>(&'a [Shape]);

impl<'de> de::Visitor<'de> for RootTexts<'_> {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the collection of pass 1")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut texts = Vec::new();
        for &shape in self.0 {
            texts.extend(seq.next_element_seed(TextOf(shape))?);
        }
        Ok(texts)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut texts = Vec::new();
        for pair in self.0.chunks_exact(2) {
            if let Some(name) = map.next_key_seed(TextOf(pair[0]))? {
                texts.extend([name, map.next_value_seed(TextOf(pair[1]))?]);
            }
        }
        Ok(texts)
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
        // yaml.v3 refuses a tab where a token starts, even in a blank file.
        assert!(matches!(parse(b"\t\n"), Err(CrictlYamlError::Syntax(_))));
    }

    // Each case below was checked against crictl v1.37 (`crictl --config F config --get KEY`).

    #[test]
    fn scalars_are_taken_as_written_not_resolved() {
        let y = parse(b"runtime-endpoint: ~\nimage-endpoint: null\n").unwrap();
        assert_eq!(
            (y.runtime_endpoint.as_str(), y.image_endpoint.as_str()),
            ("~", "null")
        );
        let y = parse(b"runtime-endpoint: 0x10\nimage-endpoint: True\ntimeout: +5\n").unwrap();
        assert_eq!(
            (
                y.runtime_endpoint.as_str(),
                y.image_endpoint.as_str(),
                y.timeout_secs
            ),
            ("0x10", "True", 5)
        );
        assert!(matches!(
            parse(b"timeout: 0x10\n"),
            Err(CrictlYamlError::BadValue { .. })
        ));
        let y =
            parse(b"runtime-endpoint: !foo unix:///x\nimage-endpoint: |\n  unix:///m\n").unwrap();
        assert_eq!(
            (y.runtime_endpoint.as_str(), y.image_endpoint.as_str()),
            ("unix:///x", "unix:///m\n")
        );
    }

    #[test]
    fn a_repeated_key_is_not_an_error_the_last_one_wins() {
        let y = parse(b"runtime-endpoint: unix:///a\nruntime-endpoint: unix:///b\n").unwrap();
        assert_eq!(y.runtime_endpoint, "unix:///b");
        assert_eq!(
            parse(b"a: 1\na: 2\n"),
            Err(CrictlYamlError::UnknownOption("a".into()))
        );
    }

    #[test]
    fn only_the_first_document_is_read() {
        let y = parse(b"runtime-endpoint: unix:///a\n---\nfoo: [unclosed\n").unwrap();
        assert_eq!(y.runtime_endpoint, "unix:///a");
        let y = parse(b"%YAML 1.1\n---\nruntime-endpoint: unix:///q\n...\nbogus\n").unwrap();
        assert_eq!(y.runtime_endpoint, "unix:///q");
    }

    #[test]
    fn a_sequence_root_is_read_two_by_two() {
        let y = parse(b"- runtime-endpoint\n- unix:///s\n- image-endpoint\n").unwrap();
        assert_eq!(
            (y.runtime_endpoint.as_str(), y.image_endpoint.as_str()),
            ("unix:///s", "")
        );
        assert_eq!(
            parse(b"- {a: b}\n- x\n"),
            Err(CrictlYamlError::UnknownOption(String::new()))
        );
    }
}
