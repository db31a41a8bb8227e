//! Thought text: its length rule and the one tokenizer that finds #tags, @mentions and
//! links. The server uses it to store tags and mentions; both renderers use it to link them,
//! so what is linked is always what was stored.

use unicode_segmentation::UnicodeSegmentation;

/// The longest thought, in user-perceived characters (grapheme clusters): 👩‍👩‍👧 is one.
pub const MAX_THOUGHT_CHARS: usize = 128;
/// Tags are stored in a VARCHAR(50).
const MAX_TAG_CHARS: usize = 50;
const MAX_USERNAME_CHARS: usize = 32;

/// User-perceived characters in `text`.
pub fn char_count(text: &str) -> usize {
    text.graphemes(true).count()
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
            token_after(rest, |c| c.is_ascii_alphanumeric() || c == '_', MAX_USERNAME_CHARS)
                // `@ana@host` is a remote address, not a local mention.
                .filter(|name| !rest[1 + name.len()..].starts_with('@'))
                .map(|name| (Segment::Mention(name), name.len() + 1))
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

/// The word after the one-byte sigil at the start of `rest`, if it is 1..=max characters long
/// and not followed by more word characters.
fn token_after(rest: &str, allowed: impl Fn(char) -> bool, max_chars: usize) -> Option<&str> {
    let body = &rest[1..];
    let end = body.find(|c: char| !allowed(c)).unwrap_or(body.len());
    let token = &body[..end];
    let followed_by_word = body[end..].chars().next().is_some_and(is_word);
    (!token.is_empty() && token.chars().count() <= max_chars && !followed_by_word).then_some(token)
}

/// An address up to the next space, without trailing punctuation that ends a sentence.
fn link_at(rest: &str) -> Option<&str> {
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let link = rest[..end].trim_end_matches(['.', ',', '!', '?', ';', ':', ')', '\'', '"']);
    let after_scheme = link.split_once("://").map_or("", |(_, after)| after);
    (!after_scheme.is_empty()).then_some(link)
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

/// The distinct usernames a thought mentions (first spelling kept), in order of appearance.
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

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    #[test]
    fn counts_user_perceived_characters() {
        assert_eq!(char_count("héllo"), 5);
        assert_eq!(char_count("e\u{301}"), 1, "a combining accent is part of its letter");
        assert_eq!(char_count("👩‍👩‍👧👍🏽"), 2, "a family and a toned thumb");
        assert_eq!(char_count("日本語"), 3);
    }

    #[test]
    fn finds_tags_mentions_and_links() {
        assert_eq!(
            segments("Hi @ana, see #Rust_lang and https://ex.ample/x?y=1."),
            [Text("Hi "), Mention("ana"), Text(", see "), Tag("Rust_lang"), Text(" and "), Link("https://ex.ample/x?y=1"), Text(".")]
        );
        assert_eq!(tags("#Été #été #日本 #123 #a1"), ["été", "日本", "a1"], "Unicode letters; numbers alone are not tags");
        assert_eq!(mentions("@Ana @ana @bo"), ["Ana", "bo"]);
    }

    #[test]
    fn ignores_what_is_not_a_tag_or_mention() {
        assert_eq!(segments("mail me@example.com"), [Text("mail me@example.com")]);
        assert_eq!(segments("C#sharp a#b"), [Text("C#sharp a#b")]);
        assert_eq!(segments("@ana@remote.example"), [Text("@ana@remote.example")]);
        assert_eq!(segments("# @ alone"), [Text("# @ alone")]);
        assert_eq!(segments("http:// nothing"), [Text("http:// nothing")]);
        assert_eq!(segments("javascript:alert(1)"), [Text("javascript:alert(1)")]);
        let long = format!("#{}", "t".repeat(51));
        assert_eq!(tags(&long), Vec::<String>::new());
        let long_name = format!("@{}", "n".repeat(33));
        assert_eq!(mentions(&long_name), Vec::<String>::new());
    }

    #[test]
    fn segments_cover_the_whole_text() {
        for text in ["", "plain", "#a @b https://c.example d", "ü#x @y!", "((#tag))"] {
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
