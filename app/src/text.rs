//! Thought text: its length rule and the one tokenizer that finds #tags, @mentions and
//! links. The server uses it to store tags and mentions; both renderers use it to link them,
//! so what is linked is always what was stored.

use unicode_segmentation::UnicodeSegmentation;

/// The longest thought, in user-perceived characters (grapheme clusters): 👩‍👩‍👧 is one.
pub const MAX_THOUGHT_CHARS: usize = 128;
/// The heaviest thought, in bytes (UTF-8). A grapheme cluster can carry any number of
/// combining marks, so the character limit alone lets 128 "characters" weigh megabytes. The
/// largest emoji are 35 bytes: 128 of them fit with room to spare.
pub const MAX_THOUGHT_BYTES: usize = 8 * 1024;
/// The longest content warning (a thought's summary), in user-perceived characters, and
/// its heaviest, in bytes (the same reasoning as for thoughts).
pub const MAX_SUMMARY_CHARS: usize = 100;
pub const MAX_SUMMARY_BYTES: usize = 4 * 1024;
/// Tags are stored in a VARCHAR(50): the limit of tags typed here and of tags from other
/// servers alike.
pub const MAX_TAG_CHARS: usize = 50;
/// The longest local username (see `backend::fields::Username`).
pub const MAX_USERNAME_CHARS: usize = 32;

/// User-perceived characters in `text`.
pub fn char_count(text: &str) -> usize {
    text.graphemes(true).count()
}

/// Whether `c` is a control character that text may not hold (C0, DEL and C1: invisible,
/// refused by PostgreSQL (NUL) or by XML). Text that may span lines keeps its line breaks
/// and tabs. The one rule for every field we accept and every text other servers send.
pub fn is_forbidden_control(c: char, multiline: bool) -> bool {
    c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))
}

/// Whether `text` holds a control character it may not (see [`is_forbidden_control`]).
pub fn has_forbidden_controls(text: &str, multiline: bool) -> bool {
    text.chars().any(|c| is_forbidden_control(c, multiline))
}

/// `text` without the control characters it may not hold: for text from other servers,
/// which is kept (without them) rather than refused.
pub fn strip_controls(text: &str, multiline: bool) -> String {
    text.chars()
        .filter(|&c| !is_forbidden_control(c, multiline))
        .collect()
}

/// The longest start of `text` that is at most `max_bytes` long and ends between two
/// characters (`String::truncate` panics inside one).
pub fn truncate_bytes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether `url` is an absolute http or https address (with a host, without spaces or
/// control characters). The only kind of address accepted from forms, the client API and
/// other servers, and the only kind rendered as a link: `javascript:`, `data:` and the rest
/// never are.
pub fn is_http_url(url: &str) -> bool {
    let has_scheme = |scheme: &str| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    };
    let rest = if has_scheme("https://") {
        &url[8..]
    } else if has_scheme("http://") {
        &url[7..]
    } else {
        return false;
    };
    let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
    let host = authority.rsplit('@').next().unwrap_or_default();
    !host.is_empty()
        && !host.starts_with(':')
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A piece of a thought's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// A hashtag, without its `#`, as typed.
    Tag(&'a str),
    /// A mention, without its `@`, as typed.
    Mention(&'a str),
    /// An http(s) address.
    Link(&'a str),
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `text` into plain text, tags, mentions and links.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut index = 0;
    let mut previous: Option<char> = None;
    while index < text.len() {
        let rest = &text[index..];
        let c = rest.chars().next().unwrap_or(' ');
        let at_boundary = previous.is_none_or(|p| !is_word(p) && p != '@' && p != '#' && p != '/');
        let found = if !at_boundary {
            None
        } else if c == '#' {
            token_after(rest, is_word, MAX_TAG_CHARS)
                .filter(|tag| tag.chars().any(|c| !c.is_ascii_digit()))
                .map(|tag| (Segment::Tag(tag), tag.len() + 1))
        } else if c == '@' {
            mention_at(rest).map(|name| (Segment::Mention(name), name.len() + 1))
        } else if rest.starts_with("https://") || rest.starts_with("http://") {
            link_at(rest).map(|link| (Segment::Link(link), link.len()))
        } else {
            None
        };
        match found {
            Some((segment, length)) => {
                if plain_start < index {
                    out.push(Segment::Text(&text[plain_start..index]));
                }
                out.push(segment);
                index += length;
                plain_start = index;
                previous = text[..index].chars().next_back();
            }
            None => {
                index += c.len_utf8();
                previous = Some(c);
            }
        }
    }
    if plain_start < text.len() {
        out.push(Segment::Text(&text[plain_start..]));
    }
    out
}

/// The longest server part of a remote address (a DNS name, and a port).
const MAX_SERVER_CHARS: usize = 253 + 6;

/// The mention at the start of `rest` (which starts with `@`), without its `@`: a local
/// `name`, or a remote `name@server` (a server name with a dot, or a port; a trailing dot
/// ends the sentence, not the name). `@ana@` and `@ana@localhost` are no mention at all.
fn mention_at(rest: &str) -> Option<&str> {
    let name = token_after(
        rest,
        |c| c.is_ascii_alphanumeric() || c == '_',
        MAX_USERNAME_CHARS,
    )?;
    let after_name = 1 + name.len();
    let Some(server) = rest[after_name..].strip_prefix('@') else {
        return Some(name);
    };
    let end = server
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')))
        .unwrap_or(server.len());
    let server = server[..end].trim_end_matches(['.', '-', ':']);
    let followed_by_word = rest[after_name + 1 + server.len()..]
        .chars()
        .next()
        .is_some_and(|c| is_word(c) || c == '@');
    let well_formed = server.starts_with(|c: char| c.is_ascii_alphanumeric())
        && (server.contains('.') || server.contains(':'))
        && server.len() <= MAX_SERVER_CHARS
        && !followed_by_word;
    well_formed.then(|| &rest[1..after_name + 1 + server.len()])
}

/// The word after the one-byte sigil at the start of `rest`, if it is 1..=max characters long
/// and not followed by more word characters.
fn token_after(rest: &str, allowed: impl Fn(char) -> bool, max_chars: usize) -> Option<&str> {
    let body = &rest[1..];
    let end = body.find(|c: char| !allowed(c)).unwrap_or(body.len());
    let token = &body[..end];
    let followed_by_word = body[end..].chars().next().is_some_and(is_word);
    (!token.is_empty() && token.chars().count() <= max_chars && !followed_by_word).then_some(token)
}

/// An address up to the next space (or control character), without trailing punctuation
/// that ends a sentence.
fn link_at(rest: &str) -> Option<&str> {
    let end = rest
        .find(|c: char| c.is_whitespace() || c.is_control())
        .unwrap_or(rest.len());
    let link = rest[..end].trim_end_matches(['.', ',', '!', '?', ';', ':', ')', '\'', '"']);
    is_http_url(link).then_some(link)
}

/// The distinct tags of a thought, lower-cased, in order of appearance.
pub fn tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for segment in segments(text) {
        if let Segment::Tag(tag) = segment {
            let tag = tag.to_lowercase();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags
}

/// The distinct usernames a thought mentions (first spelling kept), in order of appearance:
/// local `name`s and remote `name@server`s (see [`is_remote_handle`]).
pub fn mentions(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for segment in segments(text) {
        if let Segment::Mention(name) = segment {
            if !names.iter().any(|known| known.eq_ignore_ascii_case(name)) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// Whether a mentioned name is someone on another server (`name@server`).
pub fn is_remote_handle(name: &str) -> bool {
    name.contains('@')
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    #[test]
    fn control_characters_and_byte_cuts() {
        assert!(has_forbidden_controls("a\u{0}b", true) && has_forbidden_controls("a\nb", false));
        assert!(
            !has_forbidden_controls("a\nb\tc\r\n", true)
                && !has_forbidden_controls("Ana ✨ e\u{301}", false)
        );
        assert!(has_forbidden_controls("c1 \u{85} and del \u{7f}", true));
        assert_eq!(
            strip_controls("a\u{0}b\u{1b}[0m\nc\td", true),
            "ab[0m\nc\td"
        );
        assert_eq!(strip_controls("a\nb\tc", false), "abc");
        assert_eq!(truncate_bytes("héllo", 2), "h");
        assert_eq!(truncate_bytes("héllo", 3), "hé");
        assert_eq!(truncate_bytes("hi", 10), "hi");
    }

    #[test]
    fn only_http_and_https_urls_are_web_addresses() {
        for ok in [
            "https://m.example/@bo",
            "http://127.0.0.1:3000/x",
            "HTTPS://M.EXAMPLE",
            "https://user@host.example/",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "/local",
            "https://",
            "https:///path",
            "https://:443/",
            "https://a b.example",
            "https://a.example/\nx",
            "https://a.example/\u{0}",
            "ftp://x.example",
            "https:",
            "httpé://x",
            "",
        ] {
            assert!(!is_http_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn counts_user_perceived_characters() {
        assert_eq!(char_count("héllo"), 5);
        assert_eq!(
            char_count("e\u{301}"),
            1,
            "a combining accent is part of its letter"
        );
        assert_eq!(char_count("👩‍👩‍👧👍🏽"), 2, "a family and a toned thumb");
        assert_eq!(char_count("日本語"), 3);
    }

    #[test]
    fn finds_tags_mentions_and_links() {
        assert_eq!(
            segments("Hi @ana, see #Rust_lang and https://ex.ample/x?y=1."),
            [
                Text("Hi "),
                Mention("ana"),
                Text(", see "),
                Tag("Rust_lang"),
                Text(" and "),
                Link("https://ex.ample/x?y=1"),
                Text(".")
            ]
        );
        assert_eq!(
            tags("#Été #été #日本 #123 #a1"),
            ["été", "日本", "a1"],
            "Unicode letters; numbers alone are not tags"
        );
        assert_eq!(mentions("@Ana @ana @bo"), ["Ana", "bo"]);
    }

    #[test]
    fn finds_remote_addresses() {
        assert_eq!(
            segments("hi @ana@remote.example. and @bo@127.0.0.1:3000!"),
            [
                Text("hi "),
                Mention("ana@remote.example"),
                Text(". and "),
                Mention("bo@127.0.0.1:3000"),
                Text("!")
            ]
        );
        assert_eq!(
            mentions("@ana@m.example @Ana@M.example @ana"),
            ["ana@m.example", "ana"]
        );
        assert!(is_remote_handle("ana@m.example") && !is_remote_handle("ana"));
    }

    #[test]
    fn ignores_what_is_not_a_tag_or_mention() {
        assert_eq!(
            segments("mail me@example.com"),
            [Text("mail me@example.com")]
        );
        assert_eq!(segments("C#sharp a#b"), [Text("C#sharp a#b")]);
        for not_an_address in [
            "@ana@",
            "@ana@localhost",
            "@ana@.example",
            "@ana@x.example@y",
        ] {
            assert_eq!(
                segments(not_an_address),
                [Text(not_an_address)],
                "{not_an_address}"
            );
        }
        assert_eq!(segments("# @ alone"), [Text("# @ alone")]);
        assert_eq!(segments("http:// nothing"), [Text("http:// nothing")]);
        assert_eq!(
            segments("javascript:alert(1)"),
            [Text("javascript:alert(1)")]
        );
        let long = format!("#{}", "t".repeat(51));
        assert_eq!(tags(&long), Vec::<String>::new());
        let long_name = format!("@{}", "n".repeat(33));
        assert_eq!(mentions(&long_name), Vec::<String>::new());
    }

    #[test]
    fn segments_cover_the_whole_text() {
        for text in [
            "",
            "plain",
            "#a @b https://c.example d",
            "ü#x @y!",
            "((#tag))",
        ] {
            let joined: String = segments(text)
                .iter()
                .map(|s| match s {
                    Text(t) | Link(t) => t.to_string(),
                    Tag(t) => format!("#{t}"),
                    Mention(m) => format!("@{m}"),
                })
                .collect();
            assert_eq!(joined, text);
        }
    }
}
