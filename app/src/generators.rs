//! Input generators for the property tests: text that mixes the structure a parser looks
//! for (sigils, schemes, brackets, quotes, keywords) with what breaks parsers (controls,
//! combining marks, multibyte letters, emoji pieces, bidi overrides, any char at all).

use proptest::prelude::*;

/// Cases per property: at least 100,000, unless `PROPTEST_CASES` says otherwise (to try
/// a property quickly, or harder).
pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    // No shrinking marathons in CI: a failure is reported with a short, already small case.
    // A failing case is printed; it is not written into the source tree.
    ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One character, weighted towards the ones that break parsers.
pub fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => proptest::char::range(' ', '~'),
        2 => proptest::sample::select(vec![
            '#', '@', '/', ':', '.', '"', '\'', '\\', '<', '>', '&', '=', ',', ';', '(', ')', '{', '}', '[', ']', '*', '%',
            '?', '!', '_', '-', '+', '~', '|', '^', '$',
        ]),
        1 => proptest::sample::select(vec!['\0', '\n', '\r', '\t', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}']),
        1 => proptest::char::range('\u{300}', '\u{36f}'),
        1 => proptest::sample::select(vec![
            'é', 'ß', 'İ', '日', '本', 'а', 'ع', '\u{200d}', '\u{fe0f}', '\u{202e}', '\u{2028}', '\u{feff}', '\u{fffd}',
            '\u{fffe}', '\u{ffff}', '👍', '🏽', '👩', '\u{1f3f4}', '\u{e0067}', '\u{10ffff}', '\u{e000}', '\u{a0}', '\u{3000}',
        ]),
        1 => any::<char>(),
    ]
}

/// Up to `max_chars` characters of [`tricky_char`].
pub fn tricky_string(max_chars: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(tricky_char(), 0..=max_chars).prop_map(String::from_iter)
}

/// Up to `max_pieces` pieces, each one of `pieces` (the grammar's own words) or a few
/// tricky characters, joined.
pub fn structured(
    pieces: &'static [&'static str],
    max_pieces: usize,
) -> impl Strategy<Value = String> {
    let piece = prop_oneof![3 => proptest::sample::select(pieces).prop_map(str::to_owned), 2 => tricky_string(4)];
    proptest::collection::vec(piece, 0..=max_pieces).prop_map(|pieces| pieces.concat())
}
