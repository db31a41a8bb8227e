//! Properties of reading other servers' documents (actors and notes), over generated JSON
//! that mixes well-formed documents with hostile values: nothing panics, and whatever is
//! accepted holds only checked names, http(s) addresses and text without control characters.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::{
    backend::federation::{
        notes::{read_note, MAX_REMOTE_HTML_BYTES},
        urls::{Urls, PUBLIC},
    },
    generators::{config, structured, tricky_string},
    text::{has_forbidden_controls, is_http_url},
};

const ACTOR: &str = "https://m.example/users/bo";

const NAME_PIECES: &[&str] = &[
    "bo", "Bo_99", ".", "-", "#", "?", "/", "@", " ", "\n", "\u{0}", "\u{202e}", "<", "é", "а", "x",
];
const TEXT_PIECES: &[&str] = &[
    "<p>",
    "</p>",
    "<br>",
    "<br />",
    "<a href=\"javascript:alert(1)\">",
    "<a href=\"https://m.example/@bo\" class=\"mention\">",
    "</a>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x1b;",
    "&#7;",
    "&nbsp;",
    "\u{0}",
    "\u{1b}[2J",
    "\u{7}",
    "\n",
    "\t",
    "\r",
    " ",
    "Hi",
    "#tag",
    "@ana",
    "é",
    "e\u{301}",
    "\u{202e}",
    "<style>",
];

fn address() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::sample::select(vec![
            "https://m.example/users/bo", "https://m.example/users/bo/inbox", "https://m.example/inbox", "https://m.example/@bo",
            "http://m.example/users/bo/outbox", "https://other.example/inbox", "javascript:alert(1)", "JAVASCRIPT:alert(1)",
            "data:text/html,<script>", "https://m.example/users/bo\u{0}", "https://m.example/\nx", "//m.example/x",
            "ftp://m.example/x", "https://", "https://m.example:8443/x", " https://m.example/x",
        ]).prop_map(|url| json!(url)),
        1 => tricky_string(24).prop_map(|url| json!(url)),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => Just(Value::Null),
    ]
}

fn text_value(pieces: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => structured(pieces, 20).prop_map(|text| json!(text)),
        1 => any::<bool>().prop_map(|b| json!(b)),
        1 => Just(json!(["a", "b"])),
    ]
}

/// Sets `key` to the generated value, or leaves it out.
fn maybe(document: &mut Value, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        document[key] = value;
    }
}

fn public_key_pem() -> String {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PEM.get_or_init(|| {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let private =
            rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("a test key");
        private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("its PEM")
    })
    .clone()
}

prop_compose! {
    fn actor_document()(
        id in prop_oneof![6 => Just(json!(ACTOR)), 1 => address()],
        kind in proptest::option::weighted(0.95, prop_oneof![
            6 => proptest::sample::select(vec!["Person", "Service", "Group"]),
            1 => proptest::sample::select(vec!["Note", "", "person"]),
        ]),
        name in proptest::option::weighted(0.95, prop_oneof![
            3 => proptest::sample::select(vec!["bo", "jo.doe", "a-b", "Bo_99", "admin"]).prop_map(|n| json!(n)),
            2 => proptest::sample::select(vec!["bo#", "bo?x", "bo\nx", "b\u{0}o", "\u{202e}bo", "b<o", ".bo", "b\u{301}o"]).prop_map(|n| json!(n)),
            2 => structured(NAME_PIECES, 6).prop_map(|n| json!(n)),
            1 => Just(json!(42)),
        ]),
        display in proptest::option::of(text_value(TEXT_PIECES)),
        summary in proptest::option::of(text_value(TEXT_PIECES)),
        inbox in proptest::option::weighted(0.95, prop_oneof![
            4 => Just(json!("https://m.example/users/bo/inbox")),
            1 => address(),
        ]),
        outbox in proptest::option::of(address()),
        followers in proptest::option::of(address()),
        shared in proptest::option::of(address()),
        url in proptest::option::of(prop_oneof![address(), proptest::collection::vec(address(), 0..3).prop_map(Value::Array),
                                                  address().prop_map(|href| json!({ "type": "Link", "href": href }))]),
        icon in proptest::option::of(prop_oneof![address().prop_map(|url| json!({ "type": "Image", "url": url })),
                                                   proptest::collection::vec(address().prop_map(|url| json!({ "url": url })), 0..2).prop_map(Value::Array),
                                                   address()]),
        key in 0u8..8,
    ) -> Value {
        let mut document = json!({ "id": id });
        maybe(&mut document, "type", kind.map(|k| json!(k)));
        maybe(&mut document, "preferredUsername", name);
        maybe(&mut document, "name", display);
        maybe(&mut document, "summary", summary);
        maybe(&mut document, "inbox", inbox);
        maybe(&mut document, "outbox", outbox);
        maybe(&mut document, "followers", followers);
        maybe(&mut document, "endpoints", shared.map(|shared| json!({ "sharedInbox": shared })));
        maybe(&mut document, "url", url);
        maybe(&mut document, "icon", icon);
        match key {
            0 => document["publicKey"] = json!({ "id": format!("{ACTOR}#main-key"), "owner": ACTOR, "publicKeyPem": public_key_pem() }),
            1 => document["publicKey"] = json!({ "id": "javascript:x", "owner": ACTOR, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }),
            2 => document["publicKey"] = json!([]),
            _ => {}
        }
        document
    }
}

prop_compose! {
    fn note_document()(
        id in prop_oneof![3 => Just(json!("https://m.example/users/bo/notes/1")), 1 => address()],
        attributed in prop_oneof![3 => Just(json!(ACTOR)), 1 => Just(json!([ACTOR, "https://x.example"])), 1 => Just(json!({ "id": ACTOR })), 1 => address()],
        content in proptest::option::of(text_value(TEXT_PIECES)),
        heavy in 0u16..1000,
        to in proptest::collection::vec(prop_oneof![
            Just(json!(PUBLIC)), Just(json!("as:Public")), Just(json!("https://ts.example/users/ana")),
            Just(json!("https://ts.example/users/an\u{0}a")), Just(json!("https://ts.example/users/ana?x")), address(),
        ], 0..4),
        tags in proptest::collection::vec(prop_oneof![
            structured(TEXT_PIECES, 3).prop_map(|name| json!({ "type": "Hashtag", "name": format!("#{name}") })),
            proptest::sample::select(vec!["ana", "ana_2", "an\u{0}a", "ana#x", "ana/x", ""])
                .prop_map(|name| json!({ "type": "Mention", "href": format!("https://ts.example/users/{name}") })),
            address().prop_map(|href| json!({ "type": "Mention", "href": href })),
        ], 0..4),
        reply in proptest::option::of(address()),
        url in proptest::option::of(address()),
        published in proptest::option::of(prop_oneof![
            Just(json!("2024-02-29T12:00:00Z")), Just(json!("9999-12-31T23:59:59Z")), Just(json!("not a date")), tricky_string(8).prop_map(|t| json!(t)),
        ]),
    ) -> Value {
        let mut note = json!({ "id": id, "type": "Note", "attributedTo": attributed, "to": to, "tag": tags });
        maybe(&mut note, "content", content);
        // Now and then a note far over the limit, as sent or once cleaned (`&` becomes `&amp;`).
        match heavy {
            0 => note["content"] = json!("a".repeat(MAX_REMOTE_HTML_BYTES + 1)),
            1 => note["content"] = json!("&".repeat(MAX_REMOTE_HTML_BYTES / 4)),
            2 => note["content"] = json!(format!("<p>{}</p>", "e\u{301}".repeat(MAX_REMOTE_HTML_BYTES / 4))),
            _ => {}
        }
        maybe(&mut note, "inReplyTo", reply);
        maybe(&mut note, "url", url);
        maybe(&mut note, "published", published);
        note
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_accepted_actor_holds_only_checked_values(document in actor_document()) {
        if let Ok(actor) = parse_actor(ACTOR, &document) {
            prop_assert_eq!(Username::problem(&actor.preferred_username, true), None);
            prop_assert_eq!(actor.handle, format!("{}@m.example", actor.preferred_username));
            prop_assert!(is_http_url(&actor.ap_id) && authority(&actor.ap_id).as_deref() == Some("m.example"));
            prop_assert!(is_http_url(&actor.inbox_url) && authority(&actor.inbox_url) == authority(&actor.ap_id));
            for url in [&actor.avatar_url, &actor.header_url, &actor.profile_url, &actor.shared_inbox_url, &actor.outbox_url,
                        &actor.followers_url, &actor.following_url, &actor.public_key_id].into_iter().flatten() {
                prop_assert!(is_http_url(url), "{url:?}");
            }
            if let Some(name) = &actor.display_name {
                prop_assert!(!name.is_empty() && name.chars().count() <= DisplayName::MAX_CHARS && !has_forbidden_controls(name, false), "{name:?}");
            }
            if let Some(bio) = &actor.bio {
                prop_assert!(!bio.is_empty() && bio.chars().count() <= Bio::MAX_CHARS && !has_forbidden_controls(bio, true), "{bio:?}");
            }
        }
    }

    #[test]
    fn an_accepted_note_holds_only_checked_values(note in note_document()) {
        let now = chrono::Utc::now();
        if let Ok(read) = read_note(Urls::new("https://ts.example"), ACTOR, &note, now) {
            prop_assert!(is_http_url(&read.ap_id) && authority(&read.ap_id).as_deref() == Some("m.example"));
            prop_assert!(read.html.len() <= MAX_REMOTE_HTML_BYTES);
            prop_assert!(!has_forbidden_controls(&read.html, true) && !has_forbidden_controls(&read.text, true));
            let lower = read.html.to_ascii_lowercase();
            prop_assert!(!lower.contains("<script") && !lower.contains("javascript:") && !lower.contains("<img"), "{}", read.html);
            for url in [&read.url, &read.in_reply_to].into_iter().flatten() {
                prop_assert!(is_http_url(url), "{url:?}");
            }
            for tag in &read.tags {
                prop_assert!(!tag.is_empty() && tag.chars().count() <= crate::text::MAX_TAG_CHARS && tag.chars().all(|c| c.is_alphanumeric() || c == '_'), "{tag:?}");
            }
            for name in &read.mentions {
                prop_assert_eq!(Username::problem(name, false), None);
            }
            prop_assert!(read.created_at <= now + chrono::Duration::minutes(5));
        }
    }
}
