//! Properties of the tokenizer and of what is made of its pieces, over generated text.

use proptest::prelude::*;

use super::*;
use crate::generators::{config, structured};

const PIECES: &[&str] = &[
    "#",
    "@",
    "#tag",
    "#Été",
    "#日本",
    "#123",
    "#a1",
    "@ana",
    "@Ana_99",
    "@ana@host.example",
    "https://",
    "http://",
    "https://ex.ample/p?q=1&r=<x>",
    "HTTPS://EX.AMPLE",
    "ex.ample",
    "/",
    " ",
    "\n",
    "\t",
    ".",
    ",",
    ")",
    "(",
    "'",
    "\"",
    "javascript:alert(1)",
    "e\u{301}",
    "\u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}",
    "_",
    "a",
    "1",
    "&amp;",
    "<b>",
    "</p>",
    "C#",
    "mail@x.y",
    "\u{0}",
    "\u{1b}[2J",
    "\u{202e}",
];

fn text() -> impl Strategy<Value = String> {
    structured(PIECES, 24)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_tokenizer_covers_the_text_and_finds_only_well_formed_pieces(text in text()) {
        let segments = segments(&text);
        let mut joined = String::new();
        for segment in &segments {
            match segment {
                Segment::Text(plain) => {
                    prop_assert!(!plain.is_empty());
                    joined.push_str(plain);
                }
                Segment::Tag(tag) => {
                    prop_assert!(!tag.is_empty() && tag.chars().count() <= MAX_TAG_CHARS, "{tag:?}");
                    prop_assert!(tag.chars().all(is_word) && !tag.chars().all(|c| c.is_ascii_digit()), "{tag:?}");
                    joined.push('#');
                    joined.push_str(tag);
                }
                Segment::Mention(handle) => {
                    let (name, server) = handle.split_once('@').unwrap_or((handle, ""));
                    prop_assert!(!name.is_empty() && name.len() <= MAX_USERNAME_CHARS, "{name:?}");
                    prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{name:?}");
                    prop_assert!(server.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')), "{server:?}");
                    joined.push('@');
                    joined.push_str(handle);
                }
                Segment::Link(link) => {
                    prop_assert!(link.starts_with("https://") || link.starts_with("http://"), "{link:?}");
                    prop_assert!(is_http_url(link), "{link:?}");
                    joined.push_str(link);
                }
            }
        }
        prop_assert_eq!(joined, text.clone());

        let tags = tags(&text);
        prop_assert!(tags.iter().all(|tag| *tag == tag.to_lowercase()));
        prop_assert_eq!(tags.iter().collect::<std::collections::HashSet<_>>().len(), tags.len());
        let mentions = mentions(&text);
        let lower: std::collections::HashSet<String> = mentions.iter().map(|m| m.to_ascii_lowercase()).collect();
        prop_assert_eq!(lower.len(), mentions.len());

        let count = char_count(&text);
        prop_assert!(count <= text.chars().count() && (count == 0) == text.is_empty());
    }

    #[test]
    fn byte_cuts_fall_between_characters(text in text(), max in 0usize..64) {
        let cut = truncate_bytes(&text, max);
        prop_assert!(cut.len() <= max && text.starts_with(cut));
        prop_assert!(cut.len() + 4 > max || cut.len() == text.len());
        let stripped = strip_controls(&text, true);
        prop_assert!(!has_forbidden_controls(&stripped, true));
    }
}

#[cfg(feature = "ssr")]
proptest! {
    #![proptest_config(config())]

    /// A thought's HTML (what notes and feeds carry) holds only the elements it makes, and
    /// links only to http(s) addresses.
    #[test]
    fn thought_html_is_escaped_text_and_its_own_links(text in text()) {
        use crate::backend::federation::{urls::Urls, vocab::thought_html};
        let html = thought_html(Urls::new("https://ts.example"), &text, &[]);
        prop_assert!(html.starts_with("<p>") && html.ends_with("</p>"));
        let mut rest = html.as_str();
        while let Some(start) = rest.find('<') {
            let tag = &rest[start..];
            let known = ["<p>", "</p>", "<br>", "<a href=\"", "</a>", "<span>", "</span>", "<span class=\"h-card\">"];
            prop_assert!(known.iter().any(|k| tag.starts_with(k)), "an element the text made: {html}");
            if let Some(after) = tag.strip_prefix("<a href=\"") {
                let href = &after[..after.find('"').unwrap_or(after.len())];
                // The attribute as the browser reads it (every escape the writer uses, `&amp;` last).
                let href = href.replace("&#39;", "'").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
                prop_assert!(is_http_url(&href) || href.starts_with("https://ts.example/"), "href {href:?} in {html}");
            }
            rest = &tag[1..];
        }
    }

    /// Whatever is typed, a stored thought keeps both limits and holds no control character
    /// but line breaks and tabs.
    #[test]
    fn a_stored_thought_keeps_its_limits(text in text(), repeat in 0usize..300) {
        use crate::backend::thoughts::ThoughtText;
        // Mostly short, sometimes far over either limit.
        let typed = text.repeat(if repeat >= 290 { 400 } else { repeat % 7 });
        if let Ok(thought) = ThoughtText::parse(&typed) {
            let stored = thought.as_str();
            prop_assert!(!stored.is_empty() && stored.len() <= MAX_THOUGHT_BYTES);
            prop_assert!(char_count(stored) <= MAX_THOUGHT_CHARS);
            prop_assert!(!has_forbidden_controls(stored, true));
        }
    }
}
