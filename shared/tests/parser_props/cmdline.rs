//! `/proc/<pid>/cmdline` ([`crate::host::cmdline::Cmdline`]).

use proptest::prelude::*;

use super::bytes;
use crate::host::cmdline::Cmdline;

/// A flag value that is not itself a flag.
fn value() -> impl Strategy<Value = String> {
    "[a-z0-9/][a-z0-9/._:-]{0,20}"
}

/// Words between flags: never a flag, never `--`.
fn noise() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z0-9/][a-z0-9/._]{0,10}", 0..3)
}

/// How a valued flag is written: `--root v`, `--root=v`, `-a v`, `-a=v`, `-av`.
#[derive(Debug, Clone, Copy)]
enum Form {
    Spaced,
    Equals,
    Glued,
}

fn form() -> impl Strategy<Value = Form> {
    prop::sample::select(vec![Form::Spaced, Form::Equals, Form::Glued])
}

/// A command line with `name` given several times among noise, and its values.
fn with_flag(name: &'static str) -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    let occurrence = (noise(), form(), value());
    prop::collection::vec(occurrence, 0..4).prop_map(move |items| {
        let mut args = vec!["/usr/bin/daemon".to_string()];
        let mut values = Vec::new();
        for (words, form, v) in items {
            args.extend(words);
            match form {
                Form::Glued if !name.starts_with("--") => args.push(format!("{name}{v}")),
                Form::Equals | Form::Glued => args.push(format!("{name}={v}")),
                Form::Spaced => args.extend([name.to_string(), v.clone()]),
            }
            values.push(v);
        }
        (args, values)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(input in bytes(512), name in "-{0,2}[a-z]{0,4}") {
        let c = Cmdline::from_proc_bytes(&input);
        let _ = (c.program(), c.subcommand(), c.display());
        let _ = (c.values(&[name.as_str()]), c.bool_flag(&[name.as_str()]));
    }

    #[test]
    fn nul_separated_args_read_back(args in prop::collection::vec("[^\u{0}]{1,20}", 0..8), trailing in any::<bool>()) {
        let mut raw = args.join("\0").into_bytes();
        if trailing && !args.is_empty() {
            raw.push(0);
        }
        prop_assert_eq!(Cmdline::from_proc_bytes(&raw).args, args);
    }

    #[test]
    fn a_long_flag_yields_every_value_and_the_last_wins((args, values) in with_flag("--root")) {
        let c = Cmdline::from_proc_bytes(format!("{}\0", args.join("\0")).as_bytes());
        prop_assert_eq!(c.values(&["--root"]), values.clone());
        prop_assert_eq!(c.value(&["--root"]), values.last().cloned());
        // A longer flag sharing the prefix is another flag.
        prop_assert_eq!(c.values(&["--root-dir"]), Vec::<String>::new());
    }

    #[test]
    fn a_short_flag_in_every_spelling((args, values) in with_flag("-a")) {
        let c = Cmdline::from_args(args);
        prop_assert_eq!(c.values(&["-a", "--address"]), values);
    }

    #[test]
    fn values_come_only_from_the_args(args in prop::collection::vec("[-a-z=]{0,6}", 0..8), name in "-{1,2}[a-z]{0,2}") {
        let c = Cmdline::from_args(args.clone());
        for v in c.values(&[name.as_str()]) {
            prop_assert!(args.iter().any(|a| a == &v || a.ends_with(&v)), "{v:?} from {args:?}");
        }
    }
}
