//! Profile statuses (`GET /api/v1/accounts/:id/statuses`) narrowed as Mastodon narrows them:
//! `exclude_replies` (a reply to oneself stays), `exclude_reblogs`, `tagged` (no boosts),
//! `only_media` and `pinned` (nothing yet); paged with each filter, the `Link` header keeping
//! it; behind the visibility gate; a value that is not a boolean (or a tag) is 422.

use reqwest::Method;
use serde_json::json;

use crate::{
    reblogs::{call, entries, next_link, ok, person, post, reblog, Person},
    support::TestApp,
};

type Entry = (String, Option<String>);

async fn reply(app: &TestApp, who: &Person, to: &str, text: &str) -> String {
    let (status, _, body) = call(
        app,
        Method::POST,
        "/api/v1/statuses",
        Some(who),
        Some(json!({ "status": text, "in_reply_to_id": to })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Bo's profile, newest first, and the ids in it.
struct Profile {
    ana: Person,
    bo: Person,
    path: String,
    /// Bo's, after the boost.
    latest: String,
    /// Bo's boost of Ana's tagged question (as (wrapper, original)).
    boost: Entry,
    /// Bo's, tagged #rustacean (not #rust).
    plain: String,
    /// Bo's reply to Ana, tagged #RUST.
    answer: String,
    /// Bo's reply to their own root.
    self_reply: String,
    /// Bo's first, tagged #Rust.
    root: String,
}

impl Profile {
    async fn new(app: &TestApp) -> Profile {
        let (ana, bo) = (person(app, "ana").await, person(app, "bo").await);
        let root = post(app, &bo, "a thread of my own #Rust").await;
        let self_reply = reply(app, &bo, &root, "and it goes on").await;
        let question = post(app, &ana, "who knows #rust here?").await;
        let answer = reply(app, &bo, &question, "#RUST: I do").await;
        let plain = post(app, &bo, "nothing for #rustacean readers").await;
        let wrapper = reblog(app, &bo, &question).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let latest = post(app, &bo, "the latest").await;
        Profile {
            path: format!("/api/v1/accounts/{}/statuses", bo.id),
            ana,
            bo,
            latest,
            boost: (wrapper, Some(question)),
            plain,
            answer,
            self_reply,
            root,
        }
    }

    fn s(id: &str) -> Entry {
        (id.to_owned(), None)
    }

    fn everything(&self) -> Vec<Entry> {
        vec![
            Self::s(&self.latest),
            self.boost.clone(),
            Self::s(&self.plain),
            Self::s(&self.answer),
            Self::s(&self.self_reply),
            Self::s(&self.root),
        ]
    }

    fn without_replies(&self) -> Vec<Entry> {
        vec![
            Self::s(&self.latest),
            self.boost.clone(),
            Self::s(&self.plain),
            Self::s(&self.self_reply),
            Self::s(&self.root),
        ]
    }

    fn without_boosts(&self) -> Vec<Entry> {
        vec![
            Self::s(&self.latest),
            Self::s(&self.plain),
            Self::s(&self.answer),
            Self::s(&self.self_reply),
            Self::s(&self.root),
        ]
    }

    fn tagged_rust(&self) -> Vec<Entry> {
        vec![Self::s(&self.answer), Self::s(&self.root)]
    }

    /// The profile with `query`, as `reader` (None: a visitor) reads it.
    async fn read(&self, app: &TestApp, query: &str, reader: Option<&Person>) -> Vec<Entry> {
        entries(&ok(app, Method::GET, &format!("{}?{query}", self.path), reader).await)
    }
}

#[tokio::test]
async fn exclude_replies_keeps_replies_to_oneself_and_boosts() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let reader = person(&app, "cy").await;
    for reader in [Some(&reader), None] {
        assert_eq!(profile.read(&app, "", reader).await, profile.everything());
        for query in ["exclude_replies=true", "exclude_replies=1"] {
            assert_eq!(
                profile.read(&app, query, reader).await,
                profile.without_replies(),
                "{query}: the reply to Ana is left out, the thread of Bo's own stays"
            );
        }
        for query in ["exclude_replies=false", "exclude_replies=0"] {
            assert_eq!(
                profile.read(&app, query, reader).await,
                profile.everything()
            );
        }
    }
    // Ana's own profile without replies still has her question (not a reply).
    let ana_profile = format!(
        "/api/v1/accounts/{}/statuses?exclude_replies=true",
        profile.ana.id
    );
    assert_eq!(
        entries(&ok(&app, Method::GET, &ana_profile, None).await),
        vec![(profile.boost.1.clone().unwrap(), None)]
    );
}

#[tokio::test]
async fn exclude_reblogs_leaves_out_the_boosts() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    assert_eq!(
        profile.read(&app, "exclude_reblogs=true", None).await,
        profile.without_boosts()
    );
    assert_eq!(
        profile.read(&app, "exclude_reblogs=false", None).await,
        profile.everything()
    );
    let mut neither = profile.without_boosts();
    neither.retain(|(id, _)| *id != profile.answer);
    assert_eq!(
        profile
            .read(&app, "exclude_reblogs=true&exclude_replies=true", None)
            .await,
        neither
    );
}

#[tokio::test]
async fn tagged_keeps_the_thoughts_with_the_tag_in_any_case_and_no_boosts() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    // The boosted question has #rust too: a boost is never "tagged", as on Mastodon.
    for query in [
        "tagged=rust",
        "tagged=RuSt",
        "tagged=%23rust",
        "tagged=%20%23Rust%20",
    ] {
        assert_eq!(
            profile.read(&app, query, None).await,
            profile.tagged_rust(),
            "{query}"
        );
    }
    assert_eq!(
        profile
            .read(&app, "tagged=rust&exclude_replies=true", None)
            .await,
        vec![Profile::s(&profile.root)]
    );
    assert_eq!(
        profile.read(&app, "tagged=rustacean", None).await,
        vec![Profile::s(&profile.plain)]
    );
    assert_eq!(
        profile.read(&app, "tagged=nobody_uses_it", None).await,
        vec![]
    );
    // Empty: no tag asked for, as Mastodon takes it.
    assert_eq!(
        profile.read(&app, "tagged=", None).await,
        profile.everything()
    );
    // Ana's tagged question is on her profile, not on Bo's.
    let ana_tagged = format!("/api/v1/accounts/{}/statuses?tagged=rust", profile.ana.id);
    assert_eq!(
        entries(&ok(&app, Method::GET, &ana_tagged, None).await),
        vec![(profile.boost.1.clone().unwrap(), None)]
    );
}

#[tokio::test]
async fn only_media_and_pinned_are_empty_until_media_and_pins_exist() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    for query in [
        "only_media=true",
        "pinned=true",
        "pinned=1&exclude_replies=true",
    ] {
        let url = format!("{}?{query}", profile.path);
        let (status, link, body) = call(&app, Method::GET, &url, Some(&profile.bo), None).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body, json!([]), "{query}");
        assert_eq!(next_link(&link), None, "{query}");
    }
    for query in ["only_media=false", "pinned=false", "pinned=0&only_media=0"] {
        assert_eq!(
            profile.read(&app, query, None).await,
            profile.everything(),
            "{query}"
        );
    }
}

#[tokio::test]
async fn paging_keeps_each_filter() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let filters = [
        ("exclude_replies=true", profile.without_replies()),
        ("exclude_reblogs=true", profile.without_boosts()),
        ("tagged=rust", profile.tagged_rust()),
        (
            "exclude_replies=true&exclude_reblogs=true",
            vec![
                Profile::s(&profile.latest),
                Profile::s(&profile.plain),
                Profile::s(&profile.self_reply),
                Profile::s(&profile.root),
            ],
        ),
    ];
    for (filter, expected) in &filters {
        // Following the Link header, two at a time: every page keeps the filter.
        let mut pages = Vec::new();
        let mut url = format!("{}?{filter}&limit=2", profile.path);
        loop {
            let (status, link, page) = call(&app, Method::GET, &url, None, None).await;
            assert_eq!(status, 200, "{url}: {page}");
            pages.push(entries(&page));
            match next_link(&link) {
                Some(next) => {
                    for part in filter.split('&') {
                        assert!(next.contains(part), "{next} keeps {part}");
                    }
                    url = next;
                }
                None => break,
            }
        }
        assert_eq!(pages[0].len(), 2, "{filter}");
        assert_eq!(pages.concat(), *expected, "{filter}");
    }

    // Status ids (a thought's or a boost's) as positions, with a filter.
    let [latest, boost, plain, answer, self_reply, root] = [
        &profile.latest,
        &profile.boost.0,
        &profile.plain,
        &profile.answer,
        &profile.self_reply,
        &profile.root,
    ];
    let without_replies = profile.without_replies();
    let read = |query: String| {
        let (app, profile) = (&app, &profile);
        async move { profile.read(app, &query, None).await }
    };
    assert_eq!(
        read(format!("exclude_replies=true&max_id={boost}")).await,
        without_replies[2..]
    );
    assert_eq!(
        read(format!("exclude_replies=true&since_id={self_reply}")).await,
        without_replies[..3]
    );
    assert_eq!(
        read(format!("exclude_replies=true&min_id={root}&limit=2")).await,
        without_replies[2..4],
        "the oldest two newer than the root, newest first"
    );
    assert_eq!(
        read(format!(
            "exclude_replies=true&max_id={latest}&since_id={root}"
        ))
        .await,
        without_replies[1..4]
    );
    // Older than the boost, without boosts: everything Bo wrote before it.
    assert_eq!(
        read(format!("exclude_reblogs=true&max_id={boost}")).await,
        profile.without_boosts()[1..]
    );
    assert_eq!(
        read(format!("tagged=rust&max_id={answer}")).await,
        vec![Profile::s(root)]
    );
    assert_eq!(
        read(format!("tagged=rust&since_id={root}")).await,
        vec![Profile::s(answer)]
    );
    assert_eq!(
        read(format!("tagged=rustacean&min_id={root}")).await,
        vec![Profile::s(plain)]
    );
}

#[tokio::test]
async fn filters_read_through_the_visibility_gate() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let cy = person(&app, "cy").await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", profile.bo.id),
        Some(&cy),
    )
    .await;
    // For Bo's followers only: in Bo's own thread, tagged.
    let (status, _, body) = call(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&profile.bo),
        Some(json!({ "status": "#rust for followers", "in_reply_to_id": profile.root, "visibility": "private" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let hidden = body["id"].as_str().unwrap().to_owned();
    for query in [
        "exclude_replies=true",
        "exclude_reblogs=true",
        "tagged=rust",
    ] {
        let for_cy = profile.read(&app, query, Some(&cy)).await;
        assert_eq!(for_cy.first(), Some(&Profile::s(&hidden)), "{query}");
        let for_visitor = profile.read(&app, query, None).await;
        assert!(
            !for_visitor.contains(&Profile::s(&hidden)),
            "{query}: {for_visitor:?}"
        );
        assert_eq!(&for_cy[1..], for_visitor.as_slice(), "{query}");
    }

    // Ana blocks Cy: her question, boosted by Bo, is hidden from Cy with a filter too.
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", cy.id),
        Some(&profile.ana),
    )
    .await;
    assert_eq!(
        profile.read(&app, "exclude_replies=true", Some(&cy)).await,
        vec![
            Profile::s(&hidden),
            Profile::s(&profile.latest),
            Profile::s(&profile.plain),
            Profile::s(&profile.self_reply),
            Profile::s(&profile.root),
        ]
    );
}

#[tokio::test]
async fn a_value_that_is_not_a_boolean_or_a_tag_is_422_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    for name in ["exclude_replies", "exclude_reblogs", "only_media", "pinned"] {
        let url = format!("{}?{name}=maybe", profile.path);
        let (status, _, body) = call(&app, Method::GET, &url, None, None).await;
        assert_eq!(status, 422, "{name}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(name), "{error}");
    }
    for tag in ["two%20words", "%23", "a-b"] {
        let url = format!("{}?tagged={tag}", profile.path);
        let (status, _, body) = call(&app, Method::GET, &url, None, None).await;
        assert_eq!(status, 422, "{tag}: {body}");
        assert!(body["error"].as_str().unwrap().contains("tagged"), "{body}");
    }
    // A bad tag is refused even where nothing would be listed anyway.
    let url = format!("{}?pinned=true&tagged=two%20words", profile.path);
    let (status, _, _) = call(&app, Method::GET, &url, None, None).await;
    assert_eq!(status, 422);
    // JSON values too (as a body some libraries send).
    let (status, _, body) = call(
        &app,
        Method::GET,
        &profile.path,
        None,
        Some(json!({ "exclude_replies": "sometimes" })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("exclude_replies"),
        "{body}"
    );
}
