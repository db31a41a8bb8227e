//! The property `local_path` keeps, over generated `next` values: whatever comes in, what
//! goes out is `/` or one `/` followed by neither `/` nor `\`, with no ASCII control or
//! whitespace anywhere (a browser drops tabs and newlines from URLs, so those could turn a
//! local path into `//host`).

use proptest::prelude::*;

use super::accounts::local_path;
use crate::generators::{config, structured};

const PIECES: &[&str] = &[
    "/",
    "//",
    "\\",
    "/\\",
    "\\/",
    "http://",
    "https:",
    "javascript:",
    "evil.example",
    "@",
    ".",
    "..",
    "%2f",
    "%2F",
    "%5c",
    "%09",
    "%0a",
    "%00",
    "%",
    "%2",
    "?",
    "#",
    "&",
    "=",
    " ",
    "\t",
    "\n",
    "\r",
    "\u{0}",
    "\u{b}",
    "\u{c}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    "settings",
    "@ana",
    "oauth/authorize?client_id=x&redirect_uri=https://c.example/cb",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_destination_after_log_in_is_always_a_plain_local_path(
        next in proptest::option::of(prop_oneof![3 => structured(PIECES, 10), 1 => structured(PIECES, 4).prop_map(|tail| format!("/{tail}"))]),
    ) {
        let path = local_path(next.as_deref());
        let second = path.chars().nth(1);
        prop_assert!(
            path == "/" || (path.starts_with('/') && second.is_some_and(|c| c != '/' && c != '\\')),
            "{next:?} led to {path:?}"
        );
        prop_assert!(!path.chars().any(|c| c.is_ascii_control() || c.is_ascii_whitespace()), "{next:?} led to {path:?}");
    }
}
