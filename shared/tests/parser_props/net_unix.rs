//! `/proc/<pid>/net/unix` ([`crate::host::process::parse_net_unix`]).

use proptest::prelude::*;

use crate::host::process::{UnixSocketEntry, parse_net_unix};

const HEADER: &str = "Num       RefCount Protocol Flags    Type St Inode Path\n";

/// A socket line as the kernel prints it, and the entry it stands for
/// (`None` for an unbound socket, which has no path and is skipped).
fn line() -> impl Strategy<Value = (String, Option<UnixSocketEntry>)> {
    let path = prop_oneof![
        "/[ -~]{1,60}",      // printable, spaces and all
        "@[ -~]{0,30}",      // abstract
        Just(String::new()), // unbound
    ];
    (
        any::<u64>(),
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u8>(),
        any::<u64>(),
        path,
    )
        .prop_map(|(num, refs, flags, kind, state, inode, path)| {
            let mut text = format!(
                "{num:016x}: {refs:08X} 00000000 {flags:08X} {kind:04X} {state:02X} {inode:5}"
            );
            if !path.is_empty() {
                text.push(' ');
                text.push_str(&path);
            }
            text.push('\n');
            let entry = (!path.is_empty()).then_some(UnixSocketEntry {
                inode,
                listening: flags & 0x10000 != 0,
                path,
            });
            (text, entry)
        })
}

fn table() -> impl Strategy<Value = (String, Vec<UnixSocketEntry>)> {
    prop::collection::vec(line(), 0..12).prop_map(|lines| {
        let text = HEADER.to_string() + &lines.iter().map(|(l, _)| l.as_str()).collect::<String>();
        (text, lines.into_iter().filter_map(|(_, e)| e).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        let _ = parse_net_unix(&text);
    }

    #[test]
    fn lossy_bytes_never_panic(bytes in super::bytes(400)) {
        let _ = parse_net_unix(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn kernel_lines_read_back_exactly((text, want) in table()) {
        prop_assert_eq!(parse_net_unix(&text), want);
    }

    #[test]
    fn a_truncated_table_keeps_every_whole_line((text, want) in table(), at in any::<prop::sample::Index>()) {
        let cut = &text[..at.index(text.len() + 1)];
        let got = parse_net_unix(cut);
        prop_assert!(got.len() <= want.len());
        // Every line but the last one cut short reads exactly.
        let whole = got.len().saturating_sub(1);
        prop_assert_eq!(&got[..whole], &want[..whole]);
    }
}
