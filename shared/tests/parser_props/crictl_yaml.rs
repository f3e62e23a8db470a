//! `crictl.yaml` ([`crate::host::crictl_yaml::parse`]).

use proptest::prelude::*;

use super::{bytes, host_path, texty};
use crate::host::crictl_yaml::{CrictlYaml, CrictlYamlError, parse};

const KEYS: [&str; 7] = [
    "runtime-endpoint",
    "image-endpoint",
    "timeout",
    "debug",
    "pull-image-on-create",
    "disable-pull-on-run",
    "max-retries",
];

/// A boolean as a config may spell it, and what Go's `ParseBool` makes of it.
fn go_bool() -> impl Strategy<Value = (String, bool)> {
    prop::sample::select(vec![
        ("true", true),
        ("True", true),
        ("TRUE", true),
        ("t", true),
        ("1", true),
        ("false", false),
        ("False", false),
        ("f", false),
        ("0", false),
    ])
    .prop_map(|(s, b)| (s.to_string(), b))
}

/// An endpoint, plain or double-quoted.
fn endpoint() -> impl Strategy<Value = (String, String)> {
    (host_path(), any::<bool>()).prop_map(|(p, quoted)| {
        let url = format!("unix://{p}");
        let text = if quoted {
            format!("\"{url}\"")
        } else {
            url.clone()
        };
        (text, url)
    })
}

/// A valid file: some options, in any order, and the config it means.
fn valid() -> impl Strategy<Value = (String, CrictlYaml)> {
    let line = prop_oneof![
        endpoint().prop_map(|(t, v)| (0, t, v)),
        endpoint().prop_map(|(t, v)| (1, t, v)),
        any::<i64>().prop_map(|n| (2, n.to_string(), n.to_string())),
        go_bool().prop_map(|(t, b)| (3, t, b.to_string())),
        go_bool().prop_map(|(t, b)| (4, t, b.to_string())),
        go_bool().prop_map(|(t, b)| (5, t, b.to_string())),
        any::<i64>().prop_map(|n| (6, n.to_string(), n.to_string())),
    ];
    prop::collection::vec(line, 0..7).prop_map(|lines| {
        let mut seen = [false; 7];
        let mut text = String::new();
        let mut want = CrictlYaml::default();
        for (key, value_text, value) in lines {
            if std::mem::replace(&mut seen[key], true) {
                continue; // repeated keys are an error here (see crictl_yaml's doc)
            }
            text.push_str(&format!("{}: {value_text}\n", KEYS[key]));
            match key {
                0 => want.runtime_endpoint = value,
                1 => want.image_endpoint = value,
                2 => want.timeout_secs = value.parse().unwrap(),
                3 => want.debug = value == "true",
                4 => want.pull_image_on_create = value == "true",
                5 => want.disable_pull_on_run = value == "true",
                _ => want.max_retries = value.parse().unwrap(),
            }
        }
        (text, want)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(input in bytes(512)) {
        let _ = parse(&input);
    }

    #[test]
    fn text_like_noise_never_panics(input in texty(256)) {
        let _ = parse(&input);
    }

    #[test]
    fn valid_files_read_back_exactly((text, want) in valid()) {
        prop_assert_eq!(parse(text.as_bytes()), Ok(want));
    }

    #[test]
    fn whole_lines_cut_off_lose_options_never_change_them(
        (text, want) in valid(),
        keep in 0usize..8,
    ) {
        let cut: String = text.lines().take(keep).map(|l| format!("{l}\n")).collect();
        let got = parse(cut.as_bytes()).unwrap();
        let def = CrictlYaml::default();
        prop_assert!(got.runtime_endpoint == want.runtime_endpoint || got.runtime_endpoint == def.runtime_endpoint);
        prop_assert!(got.image_endpoint == want.image_endpoint || got.image_endpoint == def.image_endpoint);
        prop_assert!(got.timeout_secs == want.timeout_secs || got.timeout_secs == def.timeout_secs);
        prop_assert!(got.debug == want.debug || got.debug == def.debug);
        prop_assert!(got.max_retries == want.max_retries || got.max_retries == def.max_retries);
    }

    #[test]
    fn any_truncation_never_panics((text, _) in valid(), at in any::<prop::sample::Index>()) {
        let bytes = text.as_bytes();
        let _ = parse(&bytes[..at.index(bytes.len() + 1)]);
    }

    #[test]
    fn invalid_utf8_is_a_syntax_error((text, _) in valid(), at in any::<prop::sample::Index>()) {
        let mut bytes = text.into_bytes();
        bytes.insert(at.index(bytes.len() + 1), 0xff);
        prop_assert!(matches!(parse(&bytes), Err(CrictlYamlError::Syntax(_))));
    }

    #[test]
    fn unknown_keys_are_named((text, _) in valid(), key in "[a-z_][a-z0-9_]{0,19}") {
        // YAML reads these plain words as null, booleans or floats.
        let special = ["null", "true", "false", "inf", "nan", "infinity"];
        prop_assume!(!KEYS.contains(&key.as_str()) && !special.contains(&key.as_str()));
        let doc = format!("{text}{key}: x\n");
        prop_assert_eq!(parse(doc.as_bytes()), Err(CrictlYamlError::UnknownOption(key)));
    }

    #[test]
    fn a_timeout_that_is_no_whole_number_is_an_error(value in "[a-z][a-z0-9.]{0,8}|[0-9]{1,5}\\.[0-9]{1,3}|[0-9]{1,5}s") {
        let doc = format!("timeout: {value}\n");
        let is_bad_timeout = matches!(
            parse(doc.as_bytes()),
            Err(CrictlYamlError::BadValue { ref option, .. }) if option == "timeout"
        );
        prop_assert!(is_bad_timeout, "{:?}", parse(doc.as_bytes()));
    }
}

#[test]
fn a_huge_file_parses_in_bounded_time() {
    // 2 MiB of comments around one option: slow parsers show up here.
    let mut doc = "# padding line of a generated file\n".repeat(60_000);
    doc.push_str("runtime-endpoint: unix:///run/x.sock\n");
    let started = std::time::Instant::now();
    assert_eq!(
        parse(doc.as_bytes()).unwrap().runtime_endpoint,
        "unix:///run/x.sock"
    );
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn deep_nesting_and_alias_bombs_are_errors_not_crashes() {
    let deep = format!(
        "runtime-endpoint: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse(deep.as_bytes()).is_err());
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..20u8 {
        let prev = (b'a' + i) as char;
        let next = (b'a' + i + 1) as char;
        bomb.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let started = std::time::Instant::now();
    assert!(parse(bomb.as_bytes()).is_err());
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}
